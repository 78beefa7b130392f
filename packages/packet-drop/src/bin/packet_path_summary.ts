#!/usr/bin/env node
import { runCli } from '@netstrata/bpf-common';
import { packetPathSummary } from '../path/summary-tool.ts';

void runCli(packetPathSummary);
