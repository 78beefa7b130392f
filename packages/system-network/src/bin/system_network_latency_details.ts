#!/usr/bin/env node
import { runCli } from '@netstrata/bpf-common';
import { latencyDetailsCommand } from '../latency/details-command.ts';

void runCli(latencyDetailsCommand);
