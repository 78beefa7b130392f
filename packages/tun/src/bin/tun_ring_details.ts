#!/usr/bin/env node
import { runCli } from '@netstrata/bpf-common';
import { tunRingDetails } from '../details/tool.ts';

void runCli(tunRingDetails);
