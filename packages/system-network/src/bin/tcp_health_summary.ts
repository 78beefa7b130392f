#!/usr/bin/env node
import { runCli } from '@netstrata/bpf-common';
import { tcpHealthSummary } from '../tcp-health/tool.ts';

void runCli(tcpHealthSummary);
