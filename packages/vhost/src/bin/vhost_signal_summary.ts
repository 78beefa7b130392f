#!/usr/bin/env node
import { runCli } from '@netstrata/bpf-common';
import { vhostSignalSummary } from '../summary/tool.ts';

void runCli(vhostSignalSummary);
