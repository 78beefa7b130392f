#!/usr/bin/env node
import { runCli } from '@netstrata/bpf-common';
import { packetPathDetails } from '../path/details-tool.ts';

void runCli(packetPathDetails);
