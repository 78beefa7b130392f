#!/usr/bin/env node
import { runCli } from '@netstrata/bpf-common';
import { virtnetIrqSummary } from '../irq/tool.ts';

void runCli(virtnetIrqSummary);
