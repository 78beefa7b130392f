#!/usr/bin/env node
import { runCli } from '@netstrata/bpf-common';
import { vmNetworkLatencyDetails } from '../details/tool.ts';

void runCli(vmNetworkLatencyDetails);
