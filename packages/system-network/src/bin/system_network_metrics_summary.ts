#!/usr/bin/env node
import { runCli } from '@netstrata/bpf-common';
import { metricsSummary } from '../metrics/tool.ts';

void runCli(metricsSummary);
