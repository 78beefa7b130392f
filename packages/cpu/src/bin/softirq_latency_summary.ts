#!/usr/bin/env node
import { runCli } from '@netstrata/bpf-common';
import { softirqCommand } from '../softirq/command.ts';

void runCli(softirqCommand);
