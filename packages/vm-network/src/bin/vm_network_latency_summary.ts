#!/usr/bin/env node
import { runCli } from '@netstrata/bpf-common';
import { vmNetworkLatencySummary } from '../summary/tool.ts';

void runCli(vmNetworkLatencySummary);
