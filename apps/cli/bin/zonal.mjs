#!/usr/bin/env node
// `zonal` entry point: runs dist/cli.mjs, rebuilt first when a source changed (tools/scripts/launch.mjs).
import { launch } from '../../../tools/scripts/launch.mjs';

await launch('cli', new URL('../src/main.ts', import.meta.url));
