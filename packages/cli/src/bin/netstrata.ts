#!/usr/bin/env node
import { main } from '../netstrata.ts';

void main().then((code) => process.exit(code));
