#!/usr/bin/env node
import { runCli } from '@netstrata/bpf-common';
import { conntrackSummary } from '../conntrack/summary-tool.ts';

void runCli(conntrackSummary);
