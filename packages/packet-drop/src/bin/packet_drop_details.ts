#!/usr/bin/env node
import { runCli } from '@netstrata/bpf-common';
import { packetDropDetails } from '../details/tool.ts';

void runCli(packetDropDetails);
