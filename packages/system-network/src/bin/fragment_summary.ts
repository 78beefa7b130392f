#!/usr/bin/env node
import { runCli } from '@netstrata/bpf-common';
import { fragmentSummary } from '../fragment/tool.ts';

void runCli(fragmentSummary);
