#!/usr/bin/env node
import { runCli } from '@netstrata/bpf-common';
import { lockWaitSummary } from '../lock/tool.ts';

void runCli(lockWaitSummary);
