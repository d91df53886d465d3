#!/usr/bin/env node
// The DSO coordinator as its own process (see src/main.ts): runs dist/dso.mjs (tools/scripts/launch.mjs).
import { launch } from '../../../tools/scripts/launch.mjs';

await launch('dso', new URL('../src/main.ts', import.meta.url));
