#!/usr/bin/env node
import { runCli } from '@netstrata/bpf-common';
import { vxlanSummary } from '../vxlan/tool.ts';

void runCli(vxlanSummary);
