/** Every tool netstrata ships: each package's descriptors, in the order the docs list them. */
import type { Tool } from '@netstrata/bpf-common';
import { tools as packetDropTools } from '@netstrata/packet-drop';
import { tools as systemNetworkTools } from '@netstrata/system-network';
import { tools as cpuTools } from '@netstrata/cpu';
import { tools as tunTools } from '@netstrata/tun';
import { tools as ovsTools } from '@netstrata/ovs';
import { tools as vhostTools } from '@netstrata/vhost';
import { tools as vmNetworkTools } from '@netstrata/vm-network';
import { tools as virtioTools } from '@netstrata/virtio';

export type ToolInfo = Tool;

export const TOOLS: readonly Tool[] = [...packetDropTools, ...systemNetworkTools, ...vmNetworkTools, ...tunTools, ...vhostTools, ...virtioTools, ...ovsTools, ...cpuTools];
