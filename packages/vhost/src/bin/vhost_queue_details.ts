#!/usr/bin/env node
import { runCli } from '@netstrata/bpf-common';
import { vhostQueueDetails } from '../details/tool.ts';

void runCli(vhostQueueDetails);
