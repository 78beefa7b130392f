#!/usr/bin/env node
import { runCli } from '@netstrata/bpf-common';
import { tunRingSummary } from '../summary/tool.ts';

void runCli(tunRingSummary);
