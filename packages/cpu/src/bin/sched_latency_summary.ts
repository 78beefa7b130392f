#!/usr/bin/env node
import { runCli } from '@netstrata/bpf-common';
import { schedCommand } from '../sched/command.ts';

void runCli(schedCommand);
