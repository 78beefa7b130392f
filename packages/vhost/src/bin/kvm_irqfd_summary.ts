#!/usr/bin/env node
import { runCli } from '@netstrata/bpf-common';
import { kvmIrqfdSummary } from '../kvm/tool.ts';

void runCli(kvmIrqfdSummary);
