#!/usr/bin/env node
import { runCli } from '@netstrata/bpf-common';
import { summaryCommand } from '../summary/command.ts';

void runCli(summaryCommand);
