#!/usr/bin/env node
import { runCli } from '@netstrata/bpf-common';
import { virtnetPollSummary } from '../poll/tool.ts';

void runCli(virtnetPollSummary);
