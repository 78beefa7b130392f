#!/usr/bin/env node
import { runCli } from '@netstrata/bpf-common';
import { latencyDetails } from '../latency/details-tool.ts';

void runCli(latencyDetails);
