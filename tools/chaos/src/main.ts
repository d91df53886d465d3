/**
 * `npm run chaos`: the faults and attacks of issue 10, each against real agent processes and real
 * nats-servers on loopback (never a server the suite did not start), each row saying what was expected
 * and what happened: faults survived with the correct result, attacks refused, hangs. Every scenario
 * has its own timeout — a hang is a row, not a stuck suite — and kills every process it started.
 * Prints a table and a totals line, writes tmp/chaos/chaos.json (or --out FILE); exits 1 when any
 * row FAILED or HUNG. `--only id,id` runs some scenarios, `--list` names them, `--lanes N` runs N
 * scenarios at a time (default 2; 1 for one after another), `--keep` keeps every scenario's directory
 * and logs (a failed one's are always kept).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import Table from 'cli-table3';
import { findNatsServer } from '@zonal/protocol';
import { Ctx, ROOT } from './harness';
import { figures, finish, type Report, splitCase, startRun } from './runs';
import { type Kind, type Outcome, type Scenario, scenarios, type World } from './scenarios';

/** small-test's negotiation with tolerances no run meets and 6 rounds: every undisturbed run gives the same result. */
const FIXED_NEGOTIATION = { maxRounds: 6, stallRounds: 1000, zoneTimeoutMs: 10_000, admm: { primalTolKw: 1e-12, dualTolKw: 1e-12, relCostTol: 1e-15 } };

type Verdict = 'survived' | 'refused' | 'FAILED' | 'HUNG';
interface Row { name: string; kind: Kind; expected: string; happened: string; verdict: Verdict; seconds: number }

const args = process.argv.slice(2);
const flag = (name: string) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
if (args.includes('--list')) {
  for (const s of scenarios) console.log(`${s.id.padEnd(18)} ${s.rows.map((r) => r.name).join(' | ')}`);
  process.exit(0);
}
const only = flag('--only')?.split(',');
const keep = args.includes('--keep');
const lanes = Number(flag('--lanes') ?? 2);
if (!(Number.isInteger(lanes) && lanes >= 1)) {
  console.error(`--lanes: a positive integer, got ${flag('--lanes')}`);
  process.exit(2);
}
const unknown = only?.filter((id) => !scenarios.some((s) => s.id === id)) ?? [];
if (unknown.length) {
  console.error(`unknown scenario(s) ${unknown.join(', ')}: one of ${scenarios.map((s) => s.id).join(', ')}`);
  process.exit(2);
}
const selected = scenarios.filter((s) => !only || only.includes(s.id));
const out = resolve(flag('--out') ?? join(ROOT, 'tmp/chaos/chaos.json'));
const t0 = performance.now();
const elapsed = () => (performance.now() - t0) / 1000;
const say = (line: string) => process.stderr.write(`[${elapsed().toFixed(0)}s] ${line}\n`);

if (!findNatsServer()) {
  console.error('nats-server is not installed (Debian: apt-get install nats-server): the chaos suite runs its own servers');
  process.exit(2);
}
const childEnv = await pinRuntime();

// The cases every scenario shares, and the reference run: made once.
const setup = new Ctx('setup', childEnv);
/** The scenarios running now: a fatal error ends their processes too. */
const active = new Set<Ctx>();
async function fatal(what: string, e: unknown): Promise<never> {
  console.error(`chaos: ${what}: ${(e as Error).message}`);
  await Promise.all([...active, setup].map((c) => c.cleanup(true)));
  console.error(`(files and logs kept in ${setup.dir})`);
  process.exit(1);
}
const world = await makeCases(setup).catch((e: unknown) => fatal('the cases could not be made', e)) as World;

/** Runs one scenario under its timeout; always ends every process it started. */
async function runScenario(s: Scenario): Promise<Row[]> {
  const ctx = new Ctx(s.id, childEnv);
  active.add(ctx);
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((r) => { timer = setTimeout(() => r('hung'), s.timeoutS * 1000); });
  const result = await Promise.race([s.run(ctx, world).catch((e: unknown) => e as Error), hung]);
  clearTimeout(timer);
  const seconds = (performance.now() - started) / 1000;
  const running = ctx.leftRunning().map((p) => `${p.label} (pid ${p.pid})`);
  const failed = result === 'hung' || result instanceof Error || result.some((o) => !o.ok);
  await ctx.cleanup(failed || keep);
  active.delete(ctx);
  const rows = s.rows.map((spec, i): Row => {
    if (result === 'hung') return { ...spec, verdict: 'HUNG', seconds, happened: `no end within ${s.timeoutS} s${running.length ? `; still running, killed: ${running.join(', ')}` : ''}` };
    if (result instanceof Error) return { ...spec, verdict: 'FAILED', seconds, happened: `error: ${result.message.split('\n')[0]}` };
    const o: Outcome = result[i] ?? { ok: false, happened: 'no outcome' };
    return { ...spec, verdict: o.ok ? (spec.kind === 'fault' ? 'survived' : 'refused') : 'FAILED', seconds, happened: o.happened };
  });
  for (const r of rows) say(`  ${s.id}: ${r.verdict.padEnd(8)} ${r.name}: ${r.happened}`);
  if (failed || keep) say(`  (files and logs of ${s.id} kept in ${ctx.dir})`);
  return rows;
}

// A scenario that mostly waits (a server gone, timeouts running out) runs beside the others, from the
// start: it does not compare with the reference.
const results = new Map<Scenario, Promise<Row[]>>();
for (const s of selected.filter((x) => x.background)) {
  say(`${s.id} (beside the others)…`);
  results.set(s, runScenario(s));
}
world.reference = await runReference(setup, world).catch((e: unknown) => fatal('the reference run failed, nothing to compare with', e));
// The others `lanes` at a time (default 2): each scenario has its own servers, ports and run ids.
const queue = selected.filter((x) => !x.background);
await Promise.all(Array.from({ length: lanes }, async () => {
  for (let s = queue.shift(); s; s = queue.shift()) {
    say(`${s.id}…`);
    const rows = runScenario(s);
    results.set(s, rows);
    await rows;
  }
}));
const rows: Row[] = [];
for (const s of selected) rows.push(...await results.get(s)!);
await setup.cleanup();

const table = new Table({
  head: ['kind', 'row', 'expected', 'what happened', 'verdict', 's'],
  colWidths: [8, 30, 34, 66, 10, 6], wordWrap: true, style: { head: [], border: [] },
});
for (const r of rows) table.push([r.kind, r.name, r.expected, r.happened, r.verdict, r.seconds.toFixed(0)]);
console.log(`\nreference: ${figures(world.reference)} (small-test, a fixed round limit)`);
console.log(table.toString());
const count = (kind: Kind | null, verdict: Verdict) => rows.filter((r) => (kind === null || r.kind === kind) && r.verdict === verdict).length;
const faults = rows.filter((r) => r.kind === 'fault').length, attacks = rows.filter((r) => r.kind === 'attack').length;
const bad = count(null, 'FAILED') + count(null, 'HUNG');
console.log(`faults: ${count('fault', 'survived')} of ${faults} survived with the correct result; attacks: ${count('attack', 'refused')} of ${attacks} refused; ` +
  `${count(null, 'FAILED')} failed, ${count(null, 'HUNG')} hung; ${elapsed().toFixed(0)} s`);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), node: process.version, seconds: elapsed(), reference: figures(world.reference), rows }, null, 2));
console.log(`written: ${out}`);
process.exit(bad ? 1 : 0);

/**
 * The agents run from the bundle (dist/, tools/scripts/build.mjs) when it is fresh, built here once if
 * it is not: every process of the suite then runs the same code, even if a source changes meanwhile.
 */
async function pinRuntime(): Promise<NodeJS.ProcessEnv> {
  if (process.env.ZONAL_RUNTIME) return {};
  try {
    const build = await import(join(ROOT, 'tools/scripts/build.mjs')) as { isFresh(name: string): boolean; build(): Promise<unknown> };
    if (!['cli', 'dso', 'zone'].every((n) => build.isFresh(n))) {
      say('building dist/ (sources changed since the last build)');
      await build.build();
    }
    return { ZONAL_RUNTIME: 'bundle' };
  } catch (e) {
    say(`no usable bundle (${(e as Error).message.split('\n')[0]}): the agents run through tsx`);
    return { ZONAL_RUNTIME: 'tsx' };
  }
}

async function makeCases(ctx: Ctx): Promise<Omit<World, 'reference'>> {
  // small-test: 300 EVs, 4 zones. A 10 s zone timeout, so a server restart (4 s) is waited through, not timed out.
  const fixed = ctx.file('fixed.json', { extends: 'small-test', name: 'chaos-fixed', negotiation: FIXED_NEGOTIATION });
  // Tolerances met in several rounds (small-test's 2 s zone timeout): a disturbed run must still converge.
  const converging = ctx.file('converging.json', { extends: 'small-test', name: 'chaos-converging', negotiation: { admm: { primalTolKw: 0.5, dualTolKw: 0.5, relCostTol: 1e-5 } } });
  // zonal sim's run: more rounds than it gets, a 60 s negotiation budget (zonal sim adds 120 s to start and report).
  const budgetS = 60;
  const sim = ctx.file('sim.json', { extends: 'small-test', name: 'chaos-sim', negotiation: { ...FIXED_NEGOTIATION, maxRounds: 60, zoneTimeoutMs: 2000, budgetS } });
  say('splitting the cases into parties\' files…');
  const [fixedCase, convergingCase] = await Promise.all([splitCase(ctx, fixed, join(ctx.dir, 'parties-fixed')), splitCase(ctx, converging, join(ctx.dir, 'parties-converging'))]);
  return { fixed: fixedCase, converging: convergingCase, sim: { scenario: sim, budgetS: budgetS + 120 } };
}

/** The fixed case run once, undisturbed: what every fixed-case scenario must give. */
async function runReference(ctx: Ctx, cases: Omit<World, 'reference'>): Promise<Report> {
  say('the reference run (fixed case, undisturbed)…');
  const server = await ctx.nats({ name: 'reference', jetstream: true });
  const run = startRun(ctx, cases.fixed, { label: 'reference', dso: { nats: server.url }, zone: () => ({ nats: server.url }) });
  const { code, report } = await finish(ctx, run);
  await server.stop();
  if (code !== 1 || !report) throw new Error(`the DSO exited ${code}${report ? '' : ' without a report'}:\n${run.dso.stderr()}`);
  if (report.rounds !== FIXED_NEGOTIATION.maxRounds || report.incidents.length) throw new Error(`the reference run is not clean: ${report.rounds} rounds, incidents ${JSON.stringify(report.incidents)}`);
  say(`reference: ${figures(report)}`);
  return report;
}
