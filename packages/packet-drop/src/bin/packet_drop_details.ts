#!/usr/bin/env node
import { runCli } from '@netstrata/bpf-common';
import { detailsCommand } from '../details/command.ts';

void runCli(detailsCommand);
