#!/usr/bin/env node
import { runCli } from '@netstrata/bpf-common';
import { softirqLatencySummary } from '../softirq/tool.ts';

void runCli(softirqLatencySummary);
