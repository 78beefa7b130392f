#!/usr/bin/env node
import { runCli } from '@netstrata/bpf-common';
import { offcpuCommand } from '../offcpu/command.ts';

void runCli(offcpuCommand);
