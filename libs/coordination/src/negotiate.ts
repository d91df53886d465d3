import type { DsoSignal, ZoneAnswer } from '@zonal/policies';
import type { LpExporter } from '@zonal/solver';
import { evaluateSchedules, type Evaluation } from './evaluate';
import { createMethod } from './methods';
import type { NegotiationSetup } from './setup';

/** How the DSO reaches one zone: in process, or over NATS (the agents lib). */
export interface ZoneClient {
  zoneId: number;
  solve(signal: DsoSignal, timeoutMs: number): Promise<ZoneReply>;
}

export type ZoneReply =
  | { status: 'replied'; answer: ZoneAnswer }
  | { status: 'timeout' | 'error'; detail: string };

/** One round as reported and kept on JetStream (SPEC §8 step 5). */
export interface RoundRecord {
  round: number;
  method: string;
  rho: number;
  primalResidualKw: number;
  dualResidualKw: number;
  totalCostYuan: number;
  relCostChange: number | null;
  converged: boolean;
  zones: Array<{ zoneId: number; status: 'replied' | 'timeout' | 'error'; costYuan: number | null; evKw: number[]; detail?: string }>;
}

export interface NegotiationResult {
  method: string;
  rounds: RoundRecord[];
  converged: boolean;
  /** True when the round limit stopped the negotiation (SPEC §8: reported, never silent). */
  roundLimitHit: boolean;
  /** Each zone's last schedule (grid-side EV kW per period) and answer. */
  zoneEvKw: Float64Array[];
  answers: Array<ZoneAnswer | null>;
  /** What the DSO last asked of each zone: its copy of the zone's EV power (ADMM) or PZ (target-penalty). */
  targetKw: Float64Array[];
  /** Zones that timed out or failed at some round, with what happened. */
  incidents: Array<{ round: number; zoneId: number; status: 'timeout' | 'error'; detail: string }>;
  evaluation: Evaluation;
}

export interface NegotiationOptions {
  exporter?: LpExporter;
  onRound?: (record: RoundRecord) => void | Promise<void>;
}

/**
 * The generic negotiation loop (SPEC §8 steps 2–4): the method's DSO step, then every zone in
 * parallel, then the method's update, until converged or the round limit. A zone that times out or
 * fails keeps its last answer for the round; nothing already agreed is lost.
 */
export async function negotiate(setup: NegotiationSetup, clients: ZoneClient[], opts: NegotiationOptions = {}): Promise<NegotiationResult> {
  const { maxRounds, zoneTimeoutMs, method: methodName } = setup.scenario.negotiation;
  const method = createMethod(methodName, setup);
  await method.initialise();
  const answers: Array<ZoneAnswer | null> = setup.zones.map(() => null);
  const targetKw: Float64Array[] = setup.zones.map((z) => new Float64Array(z.flexible.lbKw.length));
  const rounds: RoundRecord[] = [];
  const incidents: NegotiationResult['incidents'] = [];
  let converged = false;
  for (let round = 1; round <= maxRounds && !converged; round++) {
    const signals = setup.zones.map((zone) => method.signal(zone, round));
    signals.forEach((sig, k) => { targetKw[k] = Float64Array.from(sig.consensus?.referenceKw ?? sig.targetKw ?? targetKw[k]); });
    const replies = await Promise.all(setup.zones.map((_zone, k) => clients[k].solve(signals[k], zoneTimeoutMs)));
    replies.forEach((r, k) => {
      if (r.status === 'replied') answers[k] = r.answer;
      else incidents.push({ round, zoneId: setup.zones[k].id, status: r.status, detail: r.detail });
    });
    const update = await method.update(answers, round);
    const previous = rounds.at(-1)?.totalCostYuan;
    converged = update.converged;
    const record: RoundRecord = {
      round, method: method.name, rho: update.rho,
      primalResidualKw: update.primalResidualKw, dualResidualKw: update.dualResidualKw,
      totalCostYuan: update.totalCostYuan,
      relCostChange: previous === undefined ? null : Math.abs(update.totalCostYuan - previous) / Math.max(1, Math.abs(previous)),
      converged,
      zones: replies.map((r, k) => ({
        zoneId: setup.zones[k].id, status: r.status,
        costYuan: r.status === 'replied' ? r.answer.costYuan : null,
        evKw: Array.from(answers[k]?.evKw ?? []),
        ...(r.status === 'replied' ? {} : { detail: r.detail }),
      })),
    };
    rounds.push(record);
    await opts.onRound?.(record);
  }
  const zoneEvKw = answers.map((a, k) => a?.evKw ?? new Float64Array(setup.zones[k].flexible.lbKw.length));
  const degradation = answers.reduce((a, ans) => a + (ans?.degradationYuan ?? 0), 0);
  const evaluation = await evaluateSchedules(setup, zoneEvKw, degradation, { exporter: opts.exporter });
  return { method: method.name, rounds, converged, roundLimitHit: !converged, zoneEvKw, answers, targetKw, incidents, evaluation };
}
