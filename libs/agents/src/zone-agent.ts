import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRng } from '@zonal/core';
import { announceOf, type RealisedDay, type ZoneParty } from '@zonal/coordination';
import type { EvSchedules, Fleet, TimeGrid } from '@zonal/ev';
import { ZoneSolveMemory, type ZoneAnswer } from '@zonal/policies';
import type { BodyOf, Draft, Transport } from '@zonal/protocol';
import { LpExporter, warmSolver } from '@zonal/solver';
import type { AnswerGate } from './answer-gate';
import { answerWindow, rollingZoneOf } from './rolling';
import { fromSolveRequest, toAnnounceBody, toSolveReply } from './wire';

export interface ZoneAgentOptions {
  transport: Transport;
  /** The zone's own file, EVs and policy: all it knows. */
  party: ZoneParty;
  log?: (line: string) => void;
  /** Between announce attempts while the DSO is not there yet (ms). */
  announceRetryMs?: number;
  /** Where the zone writes its per-EV schedules when the run ends; nothing is written without it. */
  outDir?: string;
  /** Writes every model the zone's policy solves as `NNNN-zone<id>.lp` here (SPEC §2), when given. */
  exportLpDir?: string;
  /** No word from the DSO (heartbeat, request) this long (ms) and it is taken as gone: said, and waited for (default 30 s). */
  dsoSilenceMs?: number;
  /** No word from the DSO this long (ms) and the zone stops (`dsoGone`; default 10 min, `--dso-wait-s`). */
  dsoWaitMs?: number;
  /**
   * A rolling run (issue 12 item 5): the zone's realised day (its charge points' sessions, `zonal zone
   * --realised FILE`), which it lives through window by window on its window subject after the
   * day-ahead negotiation; at the end it writes its realised day by EV to its own output, and its
   * per-EV schedules of the day-ahead answer the agreement held (`zone-<id>-schedules.csv`, as a
   * day-ahead run writes its last answer's).
   */
  rolling?: { realised: RealisedDay };
  /** Shared by the zones of one host: how many of them work on an answer at once (zone-host.ts). */
  answerGate?: AnswerGate;
}

/** Defaults of ZoneAgentOptions.dsoSilenceMs and dsoWaitMs. */
export const DSO_SILENCE_MS = 30_000;
export const DSO_WAIT_MS = 600_000;

/** How a zone agent's run ended. */
export type ZoneAgentEnd =
  | { reason: 'shutdown' | 'stopped'; files: string[] }
  /** The DSO refused the announce (the zone does not fit its zone list): nothing to negotiate. */
  | { reason: 'refused'; detail: string; files: string[] }
  /** The announce could not be sent at all (e.g. larger than the server's max_payload): retrying cannot help. */
  | { reason: 'failed'; detail: string; files: string[] }
  /** No word from the DSO for `dsoWaitMs`: it never came, or went and did not come back. */
  | { reason: 'dsoGone'; detail: string; files: string[] };

export interface RunningZoneAgent {
  done: Promise<ZoneAgentEnd>;
  stop(): Promise<void>;
}

/**
 * One zone aggregator (SPEC §8): announces its flexibility to the DSO (aggregates only), then answers
 * every solve request with what its own EVs will do under its policy — every EV's schedule checked
 * feasible in the zone, the reply carrying only their sum and figures. A restarted agent announces
 * again and answers the next round, so it rejoins a running negotiation. Bad requests get an error
 * reply from the transport layer and the agent keeps serving. When the run ends it writes its per-EV
 * schedules to its own output, never to the wire.
 */
export async function startZoneAgent(o: ZoneAgentOptions): Promise<RunningZoneAgent> {
  const { transport, party } = o;
  const zoneId = party.config.id;
  const log = o.log ?? (() => {});
  const ctx = { exporter: new LpExporter(o.exportLpDir, `zone${zoneId}`), rng: createRng(party.config.seed).fork(`zone${zoneId}`), memory: new ZoneSolveMemory() };
  const subjects = transport.subjects;
  let stopped = false;
  let last: ZoneAnswer | null = null;
  let finish!: (end: ZoneAgentEnd) => void;
  const done = new Promise<ZoneAgentEnd>((resolve) => { finish = resolve; });

  // The DSO asks again when it hears nothing (a request or reply lost with a cluster server,
  // zone-clients.ts): the same request is answered from the same solve — no second solve, and the same
  // answer even from a policy that draws random numbers.
  let latest: { request: string; reply: Promise<Draft<'solveReply'>> } | null = null;
  // A rolling zone answers each window's rounds with its window's fleet, keeping each answer by round.
  const side = o.rolling ? rollingZoneOf(party, o.rolling.realised) : null;
  let windowsOpened = 0;
  // A rolling zone keeps its day-ahead answers by round until the DSO names the one its agreement
  // holds (at the first window's open): that answer's per-EV schedules are the day-ahead plan it
  // writes at the end, which the harness holds (the plan held), rather than negotiating it again.
  const dayAheadAnswers = new Map<number, ZoneAnswer>();
  let dayAhead: ZoneAnswer | null = null;
  const solve = (body: BodyOf<'solveRequest'>): Promise<Draft<'solveReply'>> => (o.answerGate ? o.answerGate.run(() => answer(body)) : answer(body));
  const answer = async (body: BodyOf<'solveRequest'>): Promise<Draft<'solveReply'>> => {
    try {
      const signal = fromSolveRequest(body);
      const inDayAhead = side !== null && windowsOpened === 0;
      ctx.memory.round = signal.round;
      const answer = side ? await side.solve(signal) : await party.policy.respond(party.problem, signal, ctx);
      if (inDayAhead) dayAheadAnswers.set(body.round, answer);
      last = answer;
      return { type: 'solveReply', body: toSolveReply(zoneId, body.round, answer) };
    } catch (e) {
      return {
        type: 'solveReply',
        body: { zoneId: String(zoneId), round: body.round, status: 'failed', detail: (e as Error).message, pKw: [], qKvar: [], costYuan: null, tieLineFlows: [] },
      };
    }
  };
  const solving = transport.serve(subjects.zoneSolve(String(zoneId)), (message) => {
    if (message.type !== 'solveRequest') throw new Error(`unexpected ${message.type}`);
    // Rounds start again at 1 in each window of a rolling run: a request is the same only within its window.
    const request = `${windowsOpened}:${JSON.stringify(message.body)}`;
    heard();
    if (latest?.request !== request) latest = { request, reply: solve(message.body) };
    return latest.reply;
  }, { accepts: ['solveRequest'], onError: (e) => log(`zone ${zoneId}: ${(e as Error).message}`) });
  const windows = side && transport.serve(subjects.zoneWindow(String(zoneId)), async (message) => {
    if (message.type !== 'windowRequest') throw new Error(`unexpected ${message.type}`);
    heard();
    if (message.body.action === 'open') windowsOpened++;
    const reply = await answerWindow(side, message.body);
    const round = message.body.action === 'open' ? message.body.dayAheadRound : undefined;
    if (round !== undefined) {
      dayAhead = dayAheadAnswers.get(round) ?? null;
      dayAheadAnswers.clear();
    }
    return reply;
  }, { accepts: ['windowRequest'], onError: (e) => log(`zone ${zoneId}: ${(e as Error).message}`) });
  const control = transport.subscribe(subjects.control, (message) => {
    if (message.type === 'control' && message.body.command === 'shutdown') void end({ reason: 'shutdown', files: [] });
  });

  // Start the solver (its worker and HiGHS's instance) while the DSO clears the bids, so the first
  // round does not pay for it. Not a solve of the zone's own model, as it was: on 2 cores beside the
  // DSO's clearing that took the core the clearing needed (a host of 25 zones, 25 such solves), and
  // the default scenario over NATS ran no slower without it (4 runs: 6.84 s against 7.01 s).
  void warmSolver().catch(() => undefined);
  const body = toAnnounceBody(announceOf(party));

  // The DSO's heartbeat (its status, every second): a DSO that falls silent is waited for, and the zone
  // announces again when it is back (a restarted DSO resumes the run); past dsoWaitMs the zone stops.
  const silenceMs = o.dsoSilenceMs ?? DSO_SILENCE_MS, waitMs = o.dsoWaitMs ?? DSO_WAIT_MS;
  let lastHeard = Date.now(), dsoGone = false, announcing = false;
  function heard(): void {
    lastHeard = Date.now();
    if (dsoGone) {
      dsoGone = false;
      log(`zone ${zoneId}: the DSO is back; announcing again`);
      announce();
    }
  }
  const status = transport.subscribe(subjects.dsoStatus, (message) => {
    if (message.type !== 'status') return;
    heard();
    // A DSO that starts (again) without this zone among those it knows has not heard its announce.
    if (message.body.state === 'waiting' && !message.body.zonesKnown.includes(String(zoneId))) announce();
  });
  const watchdog = setInterval(() => {
    const silent = Date.now() - lastHeard;
    if (silent > waitMs) {
      void end({ reason: 'dsoGone', detail: `no word from the DSO of run ${transport.runId} for ${Math.round(silent / 1000)} s (waited ${waitMs / 1000} s)`, files: [] });
    } else if (silent > silenceMs && !dsoGone) {
      dsoGone = true;
      log(`zone ${zoneId}: no word from the DSO for ${Math.round(silent / 1000)} s; waiting for it (up to ${waitMs / 1000} s), to announce again when it is back`);
    }
  }, WATCHDOG_MS);
  await transport.flush();

  async function end(how: ZoneAgentEnd): Promise<void> {
    if (stopped) return;
    stopped = true;
    clearInterval(watchdog);
    solving.unsubscribe();
    windows?.unsubscribe();
    control.unsubscribe();
    status.unsubscribe();
    const files = !o.outDir ? [] : side ? [...(dayAhead ? writeZoneOutput(o.outDir, party, dayAhead) : []), ...writeRollingOutput(o.outDir, side)] : last ? writeZoneOutput(o.outDir, party, last) : [];
    finish({ ...how, files });
  }

  // Announce until the DSO answers: it may start after us, or be busy starting.
  /** Ends the pause between attempts: set while the zone waits to try again, null while an attempt is out. */
  let retryNow: (() => void) | null = null;
  function announce(): void {
    if (stopped) return;
    // A DSO that has just come up (its first status) is tried at once, not after the pause: over NATS
    // the zones' process often connects before the DSO's, and the pause held round 1 back by up to
    // its length. An attempt already out is left to finish: the DSO answers it, and a second one
    // would only be heard as a rejoin.
    if (announcing) { retryNow?.(); return; }
    announcing = true;
    void announceUntilHeard().finally(() => { announcing = false; });
  }
  async function announceUntilHeard(): Promise<void> {
    // Not after the warm-up: the DSO clears the zones' bids before its first request, and the zone warms meanwhile.
    // A DSO that is there but slow to answer (busy with a hundred zones' announces of a megabyte each)
    // is given longer each time rather than sent the announce again every 2 s: no DSO at all is a
    // 'noResponders' at once, unaffected.
    let timeoutMs = ANNOUNCE_TIMEOUT_MS;
    while (!stopped) {
      const outcome = await transport.request(subjects.zoneAnnounce(String(zoneId)), { type: 'announce', body }, { timeoutMs, expect: 'status' });
      if (!outcome.ok && outcome.failure.kind === 'timeout') timeoutMs = Math.min(2 * timeoutMs, ANNOUNCE_TIMEOUT_MAX_MS);
      if (outcome.ok) {
        lastHeard = Date.now();
        log(`zone ${zoneId}: announced (${party.problem.fleet.size} EVs, ${party.problem.envelopeGroups.length} envelope groups, buses ${party.config.buses.join(',')})`);
        return;
      }
      if (outcome.failure.kind === 'errorReply' && outcome.failure.error.code === 'refused') {
        log(`zone ${zoneId}: the DSO refused the announce: ${outcome.failure.error.message}`);
        await end({ reason: 'refused', detail: outcome.failure.error.message, files: [] });
        return;
      }
      if (outcome.failure.kind === 'transport' || outcome.failure.kind === 'closed') {
        const detail = `cannot announce: ${outcome.failure.message}` +
          (/payload/i.test(outcome.failure.message) ? ` (${party.problem.envelopeGroups.length} envelope groups; a coarser envelopeGrouping in the zone file, or a larger max_payload on the server, fits it)` : '');
        log(`zone ${zoneId}: ${detail}`);
        await end({ reason: 'failed', detail, files: [] });
        return;
      }
      await new Promise<void>((r) => {
        const pause = setTimeout(r, o.announceRetryMs ?? 500);
        retryNow = () => { clearTimeout(pause); r(); };
      });
      retryNow = null;
    }
  }
  announce();
  return { done, stop: () => end({ reason: 'stopped', files: [] }) };
}

/** An announce's first timeout (ms), doubled after each one that timed out, up to the second (ms). */
const ANNOUNCE_TIMEOUT_MS = 2000;
const ANNOUNCE_TIMEOUT_MAX_MS = 60_000;

/** How often the zone looks at how long the DSO has been silent (ms). */
const WATCHDOG_MS = 1000;

/**
 * The zone's own record of its last answer (in a rolling run, of the day-ahead answer the agreement held): every EV's schedule (battery side and grid side, per
 * plugged period) and a summary with the EVs it left out, named — data that never leaves the zone.
 */
function writeZoneOutput(dir: string, party: ZoneParty, answer: ZoneAnswer): string[] {
  mkdirSync(dir, { recursive: true });
  const { fleet, grid } = party.problem;
  const s = answer.schedules;
  const rows = ['ev,bus,period,chargeKw,dischargeKw,gridKw'];
  for (let i = 0; i < fleet.size; i++) {
    for (let e = s.offset[i], t = s.start[i]; e < s.offset[i + 1]; e++, t = (t + 1) % grid.periods) {
      const gridKw = s.chargeKw[e] / fleet.eta[i] - s.dischargeKw[e] * fleet.eta[i];
      rows.push(`${fleet.id[i]},${fleet.bus[i]},${t},${s.chargeKw[e]},${s.dischargeKw[e]},${gridKw}`);
    }
  }
  const id = party.config.id;
  const schedules = join(dir, `zone-${id}-schedules.csv`), summary = join(dir, `zone-${id}-summary.json`);
  writeFileSync(schedules, `${rows.join('\n')}\n`);
  writeFileSync(summary, `${JSON.stringify({
    zone: id, policy: party.policy.name, source: party.source, evKw: Array.from(answer.evKw), costYuan: answer.costYuan,
    delivery: answer.delivery, ...(answer.pricing ? { pricing: answer.pricing } : {}), leftOut: party.excluded.map((p) => p.message),
  }, null, 2)}\n`);
  return [schedules, summary];
}

/**
 * A rolling zone's own record of its realised day (`zone-<id>-rolling.json`): every EV that left short
 * of its target, the EVs as the hindsight optimum sees them (each from arrival to when it left, holding
 * then what it left with, up to its target) and its counts — by EV, so it stays in the zone's output,
 * where the harness (which may see everything) reads it for the report's shortfalls and hindsight.
 */
function writeRollingOutput(dir: string, side: ReturnType<typeof rollingZoneOf>): string[] {
  mkdirSync(dir, { recursive: true });
  const z = side.zone;
  const file = join(dir, `zone-${z.id}-rolling.json`);
  let day: object;
  try {
    day = { zone: z.id, counts: z.counts(), shortfalls: z.shortfalls(), hindsightSpecs: z.hindsightSpecs() };
  } catch (e) {
    // A day not run to its end (the DSO stopped): said in the file, not thrown from the zone's end.
    day = { zone: z.id, counts: z.counts(), incomplete: (e as Error).message };
  }
  writeFileSync(file, `${JSON.stringify(day)}\n`);
  return [file];
}

/**
 * A zone's schedules file (`zone-<id>-schedules.csv`, as `writeZoneOutput` writes it) back as per-EV
 * schedules of `fleet`, for anyone holding the zone's file to check them (libs/ev checkSchedules).
 */
export function readZoneSchedules(csv: string, fleet: Fleet, grid: TimeGrid): EvSchedules {
  const rows = csv.trim().split('\n').slice(1).map((r) => r.split(','));
  const index = new Map(fleet.id.map((id, i) => [id, i]));
  const byEv: string[][][] = Array.from({ length: fleet.size }, () => []);
  for (const r of rows) {
    const i = index.get(r[0]);
    if (i === undefined) throw new Error(`schedules name EV ${r[0]}, which is not in the zone's fleet`);
    byEv[i].push(r);
  }
  const offset = new Int32Array(fleet.size + 1), start = new Int32Array(fleet.size).fill(-1);
  byEv.forEach((mine, i) => {
    offset[i + 1] = offset[i] + mine.length;
    if (mine.length) start[i] = Number(mine[0][2]);
  });
  const flat = byEv.flat();
  return { periods: grid.periods, start, offset, chargeKw: Float64Array.from(flat, (r) => Number(r[3])), dischargeKw: Float64Array.from(flat, (r) => Number(r[4])) };
}
