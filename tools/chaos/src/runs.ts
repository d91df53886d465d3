/**
 * A negotiation as a deployment runs it: one DSO process and one process per zone, from the parties'
 * files of `zonal split`, on the servers a scenario gives them; and the checks of its result against
 * the reference run.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import type { SimReport } from '@zonal/agents';
import { Ctx, DSO_APP, type Proc, ZONAL, ZONE_APP } from './harness';

/** A scenario file and its parties' files (zonal split). */
export interface Case {
  scenario: string;
  parties: string;
  zoneIds: number[];
}

export type Report = SimReport;

/** Splits `scenario` as `zonal split` does, into `dir`. */
export async function splitCase(ctx: Ctx, scenario: string, dir: string): Promise<Case> {
  const split = ctx.start('zonal split', ZONAL, ['split', '--scenario', scenario, '--out', dir]);
  const code = await ctx.exit(split, 60_000);
  if (code !== 0) throw new Error(`zonal split failed (${code}): ${split.stderr()}`);
  const zoneIds = readdirSync(dir).flatMap((f) => /^zone-(\d+)\.json$/.exec(f)?.[1] ?? []).map(Number).sort((a, b) => a - b);
  return { scenario, parties: dir, zoneIds };
}

export interface Party {
  /** The servers the party is given (`--nats`, a comma-separated list for a cluster). */
  nats: string;
  args?: string[];
  env?: NodeJS.ProcessEnv;
}

export interface RunHandles {
  runId: string;
  dso: Proc;
  zones: Map<number, Proc>;
  out: string;
}

export const newRunId = (label: string) => `${label}-${Date.now().toString(36)}`;

export function startZone(ctx: Ctx, c: Case, id: number, runId: string, p: Party): Proc {
  return ctx.start(`zone ${id}`, ZONE_APP, ['--config', join(c.parties, `zone-${id}.json`), '--nats', p.nats, '--run-id', runId, ...(p.args ?? [])], p.env);
}

/** The DSO waits up to 3 minutes for the announces: on a loaded machine a zone takes a minute to start. */
export function startDso(ctx: Ctx, c: Case, runId: string, out: string, p: Party): Proc {
  return ctx.start('dso', DSO_APP, ['--config', join(c.parties, 'dso.json'), '--nats', p.nats, '--run-id', runId, '--out', out, '--announce-timeout-ms', '180000', ...(p.args ?? [])], p.env);
}

/** The zones, then the DSO. `zone(id)` says where each zone connects and how. */
export function startRun(ctx: Ctx, c: Case, o: { label: string; dso: Party; zone: (id: number) => Party; runId?: string }): RunHandles {
  const runId = o.runId ?? newRunId(o.label);
  const zones = new Map(c.zoneIds.map((id) => [id, startZone(ctx, c, id, runId, o.zone(id))]));
  const out = join(ctx.dir, `out-${runId}`);
  const dso = startDso(ctx, c, runId, out, o.dso);
  return { runId, dso, zones, out };
}

/** Waits for the DSO and every zone to end; the DSO's exit code and its report (null when none was written). */
export async function finish(ctx: Ctx, run: RunHandles, ms = 240_000): Promise<{ code: number; zoneCodes: Map<number, number>; report: Report | null }> {
  const code = await ctx.exit(run.dso, ms);
  const zoneCodes = new Map<number, number>();
  for (const [id, z] of run.zones) zoneCodes.set(id, await ctx.exit(z, 30_000));
  return { code, zoneCodes, report: ctx.readJson<Report>(join(run.out, 'report.json')) };
}

/** The rounds recorded on the run's round subject as they come (live, not from the stream), and which zones replied in each. */
export function watchRounds(nc: NatsConnection, runId: string): { rounds: number[]; instances: Set<string>; replied: Map<number, Set<string>> } {
  const seen = { rounds: [] as number[], instances: new Set<string>(), replied: new Map<number, Set<string>>() };
  nc.subscribe(`zonal.${runId}.round`, {
    callback: (err, m) => {
      if (err) return;
      try {
        const msg = JSON.parse(m.string()) as { type?: string; body?: { round?: number; instance?: string; zones?: Array<{ zoneId: string; status: string }> } };
        if (msg.type === 'roundRecord' && typeof msg.body?.round === 'number') {
          seen.rounds.push(msg.body.round);
          if (msg.body.instance) seen.instances.add(msg.body.instance);
          seen.replied.set(msg.body.round, new Set((msg.body.zones ?? []).filter((z) => z.status === 'replied').map((z) => z.zoneId)));
        }
      } catch { /* not ours to read */ }
    },
  });
  return seen;
}

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1, Math.abs(b));

/** Null when `got` is the reference's result (every round's cost and residual, and the delivered cost, to 1e-6); else what differs. */
export function differsFrom(got: Report, want: Report): string | null {
  if (got.rounds !== want.rounds) return `${got.rounds} rounds, the reference ${want.rounds}`;
  for (let i = 0; i < want.roundLog.length; i++) {
    const g = got.roundLog[i], w = want.roundLog[i];
    if (!g || g.round !== w.round) return `round ${w.round} missing from the round log`;
    if (rel(g.totalCostYuan, w.totalCostYuan) > 1e-6) return `round ${w.round}: cost ${g.totalCostYuan.toFixed(4)}, the reference ${w.totalCostYuan.toFixed(4)} yuan`;
    if (Math.abs(g.primalResidualKw - w.primalResidualKw) > 1e-4) return `round ${w.round}: primal ${g.primalResidualKw.toFixed(6)}, the reference ${w.primalResidualKw.toFixed(6)} kW`;
  }
  const g = got.costs.negotiated.totalWithDegradation, w = want.costs.negotiated.totalWithDegradation;
  if (rel(g, w) > 1e-6) return `delivered cost ${g.toFixed(4)}, the reference ${w.toFixed(4)} yuan`;
  return null;
}

export const cost = (r: Report) => r.costs.negotiated.totalWithDegradation;
export const yuan = (v: number) => v.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** "8 rounds, 12,345.67 yuan": the figures a row prints of a run. */
export function figures(r: Report): string {
  const gap = r.gapToCentralisedPct === null ? '' : `, gap ${r.gapToCentralisedPct.toFixed(3)}%`;
  return `${r.converged ? 'converged in ' : ''}${r.rounds} rounds, ${yuan(cost(r))} yuan${gap}`;
}

/** The last line of a process's stderr that says something (for a row's "what happened"). */
export function lastLine(text: string, pattern?: RegExp): string {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  const found = pattern ? lines.filter((l) => pattern.test(l)) : lines;
  return found.at(-1) ?? '(nothing)';
}
