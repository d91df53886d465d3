/**
 * `npm run bench`: every benchmark of the platform, printed as tables and written as JSON to
 * tmp/bench/bench.json (or --out FILE). Speed lives here, never in the tests.
 * `npm run bench -- --only powerflow,dispatch` runs a subset.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Table from 'cli-table3';
import { benchSuites } from './suites';

const args = process.argv.slice(2);
const outIdx = args.indexOf('--out');
const out = resolve(outIdx >= 0 ? args[outIdx + 1] : 'tmp/bench/bench.json');
const onlyIdx = args.indexOf('--only');
const only = onlyIdx >= 0 ? new Set(args[onlyIdx + 1].split(',')) : null;

const results: Record<string, object[]> = {};
for (const suite of benchSuites) {
  if (only && !only.has(suite.name)) continue;
  process.stderr.write(`running ${suite.name}…\n`);
  const rows = (await suite.run()) as Array<Record<string, unknown>>;
  results[suite.name] = rows;
  const head = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const table = new Table({ head, style: { head: [] } });
  for (const r of rows) table.push(head.map((k) => format(r[k])));
  console.log(`\n${suite.name}: ${suite.description}`);
  console.log(table.toString());
}
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), node: process.version, results }, null, 2));
console.log(`\nwritten: ${out}`);
process.exit(0);

function format(v: unknown): string {
  if (v === undefined) return '';
  if (typeof v === 'number') return Math.abs(v) >= 100 || Number.isInteger(v) ? v.toFixed(Number.isInteger(v) ? 0 : 1) : v.toPrecision(3);
  return String(v);
}
