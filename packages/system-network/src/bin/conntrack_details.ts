#!/usr/bin/env node
import { runCli } from '@netstrata/bpf-common';
import { conntrackDetails } from '../conntrack/details-tool.ts';

void runCli(conntrackDetails);
