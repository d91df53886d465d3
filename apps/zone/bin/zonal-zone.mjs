#!/usr/bin/env node
// One zone aggregator agent as its own process (see src/main.ts): runs dist/zone.mjs (tools/scripts/launch.mjs).
import { launch } from '../../../tools/scripts/launch.mjs';

await launch('zone', new URL('../src/main.ts', import.meta.url));
