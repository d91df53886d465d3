#!/usr/bin/env node
// `zonal` entry point: registers tsx so the TypeScript sources run as they are, right after `npm ci`.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
