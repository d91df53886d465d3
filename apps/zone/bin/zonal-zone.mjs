#!/usr/bin/env node
// One zone aggregator agent as its own process (see src/main.ts); TypeScript runs through tsx.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
