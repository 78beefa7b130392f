#!/usr/bin/env node
import { runCli } from '@netstrata/bpf-common';
import { metricsCommand } from '../metrics/command.ts';

void runCli(metricsCommand);
