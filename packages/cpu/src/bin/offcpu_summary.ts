#!/usr/bin/env node
import { runCli } from '@netstrata/bpf-common';
import { offcpuSummary } from '../offcpu/tool.ts';

void runCli(offcpuSummary);
