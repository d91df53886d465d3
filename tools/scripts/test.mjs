#!/usr/bin/env node
// The README's test command: build (dist/), type-check, lint (module boundaries), every project's vitest suite
// through Nx, then one closing line "N passed, N failed" summed over the projects' JSON results.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const resultsDir = join(root, 'tmp', 'vitest');
rmSync(resultsDir, { recursive: true, force: true });

function step(label, cmd, args) {
  console.log(`\n== ${label}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, NX_NO_CLOUD: 'true', NX_DAEMON: 'false' } });
  return r.status ?? 1;
}

const extra = process.argv.slice(2);
const failures = [];
// The tests need nats-server, glpsol and cbc: installed here when missing (as .ci/run does).
if (step('system packages', 'bash', ['tools/scripts/install-system-deps.sh']) !== 0) failures.push('system packages');
// The bundles the `zonal` processes run (dist/): the integration tests start them as users do.
if (step('build', 'node', ['tools/scripts/build.mjs']) !== 0) failures.push('build');
if (step('type-check', 'npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']) !== 0) failures.push('type-check');
// The module-boundary rule reads Nx's project graph: compute it before eslint runs.
step('project graph', 'npx', ['nx', 'show', 'projects']);
if (step('lint', 'npx', ['eslint', '.']) !== 0) failures.push('lint');
if (step('tests', 'npx', ['nx', 'run-many', '-t', 'test', '--parallel=2', '--outputStyle=stream', ...extra]) !== 0) failures.push('tests');

let passed = 0, failed = 0, skipped = 0;
if (existsSync(resultsDir)) {
  for (const f of readdirSync(resultsDir).filter((f) => f.endsWith('.json'))) {
    const r = JSON.parse(readFileSync(join(resultsDir, f), 'utf8'));
    passed += r.numPassedTests ?? 0;
    failed += r.numFailedTests ?? 0;
    skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
    // A suite that failed to load has no failed test but is a failure all the same.
    failed += (r.testResults ?? []).filter((s) => s.status === 'failed' && (s.assertionResults ?? []).length === 0).length;
  }
}
if (failures.length) console.log(`\nfailed steps: ${failures.join(', ')}`);
console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failures.length || failed ? 1 : 0);
