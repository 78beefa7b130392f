#!/usr/bin/env node
import { runCli } from '@netstrata/bpf-common';
import { latencySummaryCommand } from '../latency/summary-command.ts';

void runCli(latencySummaryCommand);
