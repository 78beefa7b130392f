#!/usr/bin/env node
import { runCli } from '@netstrata/bpf-common';
import { icmpRttDetails } from '../icmp-rtt/tool.ts';

void runCli(icmpRttDetails);
