#!/usr/bin/env node
import { runCli } from '@netstrata/bpf-common';
import { ovsMegaflowDetails } from '../megaflow/tool.ts';

void runCli(ovsMegaflowDetails);
