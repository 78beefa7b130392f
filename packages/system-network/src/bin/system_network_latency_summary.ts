#!/usr/bin/env node
import { runCli } from '@netstrata/bpf-common';
import { latencySummary } from '../latency/summary-tool.ts';

void runCli(latencySummary);
