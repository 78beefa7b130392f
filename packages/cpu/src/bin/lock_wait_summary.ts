#!/usr/bin/env node
import { runCli } from '@netstrata/bpf-common';
import { lockCommand } from '../lock/command.ts';

void runCli(lockCommand);
