#!/usr/bin/env node
import { runCli } from '@netstrata/bpf-common';
import { packetDropSummary } from '../summary/tool.ts';

void runCli(packetDropSummary);
