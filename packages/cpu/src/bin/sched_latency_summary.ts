#!/usr/bin/env node
import { runCli } from '@netstrata/bpf-common';
import { schedLatencySummary } from '../sched/tool.ts';

void runCli(schedLatencySummary);
