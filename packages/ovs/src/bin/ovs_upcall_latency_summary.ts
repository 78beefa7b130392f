#!/usr/bin/env node
import { runCli } from '@netstrata/bpf-common';
import { ovsUpcallLatencySummary } from '../summary/tool.ts';

void runCli(ovsUpcallLatencySummary);
