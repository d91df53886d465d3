import { createRng, ZonalError } from '@zonal/core';
import type { EvSchedules } from '@zonal/ev';
import type { DsoSignal, ZoneAnswer } from '@zonal/policies';
import { LpExporter } from '@zonal/solver';
import type { ZoneAnnounce } from '../setup';
import { announceOf, type ZoneParty } from '../zone-party';
import type { RollingZone, ZoneWindow } from './zone-state';

/** What a zone tells the DSO when a window opens (issue 12 item 5): aggregates and bus totals only. */
export interface WindowAnnounce {
  zoneId: number;
  /** Its window as envelope groups: realised EVs present with the energy they hold, the forecast of the rest. */
  announce: ZoneAnnounce;
  /** Its EVs' metered grid-side power per bus before the window (kW per period; zero from its start). */
  pastBusEvKw: Map<number, Float64Array>;
  /** The window is what the standing plan expected: nothing to negotiate on its account. */
  onPlan: boolean;
  realisedEvs: number;
  forecastEvs: number;
  cappedKwh: number;
}

/** How a committed window's periods happen in a zone: the answer the DSO accepted (by round), the standing plan, or the zone's own (it gave no acceptable answer). */
export type WindowPlan = { kind: 'agreed'; round: number } | { kind: 'standing' } | { kind: 'own' };

/** A zone's realised day as it reports it at the end: bus totals and sums (by EV it stays in the zone). */
export interface RealisedZoneDay {
  zoneId: number;
  busEvKw: Map<number, Float64Array>;
  degradationYuan: number;
  evs: number;
  leftEarly: number;
  leftOut: number;
  shortfallEvs: number;
  shortfallKwh: number;
}

/**
 * A zone's side of the rolling run (issue 12 item 5), the same in process and behind the zone agent's
 * window subject: it opens its window at each boundary, answers the window's rounds with its window
 * party (keeping each answer's per-EV schedules by round), applies the plan the DSO commits, and
 * reports its realised day. Before the first window it answers as its forecast party (the
 * day-ahead negotiation), so the day-ahead answer the agreement holds can be adopted by its round.
 */
export class RollingZoneSide {
  private view: ZoneWindow | null = null;
  private answers = new Map<number, { schedules: EvSchedules; answer: ZoneAnswer }>();
  private ctx: ReturnType<RollingZoneSide['freshContext']>;

  constructor(readonly zone: RollingZone) {
    this.ctx = this.freshContext();
  }

  get zoneId(): number { return this.zone.id; }

  /** The party answering now: the window's, or before any window the forecast's (the day-ahead). */
  get party(): ZoneParty { return this.view?.party ?? this.zone.forecast; }

  /** The day-ahead agreement holds this zone's answer of `round`: its plan until the first window. */
  adoptDayAhead(round: number): void {
    const a = this.answers.get(round);
    if (!a) throw new ZonalError(`has no day-ahead answer of round ${round} to adopt`, `zone ${this.zoneId}`);
    this.zone.adoptDayAhead(a.schedules);
  }

  open(k: number): WindowAnnounce {
    const v = this.zone.window(k);
    this.view = v;
    this.answers.clear();
    this.ctx = this.freshContext();
    return {
      zoneId: this.zoneId, announce: announceOf(v.party), pastBusEvKw: v.pastBusEvKw, onPlan: v.onPlan !== null,
      realisedEvs: new Set(v.pieces.flatMap((p) => (p.source.kind === 'realised' ? [p.source.index] : []))).size,
      forecastEvs: v.pieces.filter((p) => p.source.kind === 'forecast').length,
      cappedKwh: v.cappedKwh,
    };
  }

  /** The zone's answer to a round of the open window (or of the day-ahead, before any window). */
  async solve(signal: DsoSignal): Promise<ZoneAnswer> {
    const party = this.party;
    const answer = await party.policy.respond(party.problem, signal, this.ctx);
    this.answers.set(signal.round, { schedules: answer.schedules, answer });
    return answer;
  }

  /** Periods k .. k + periods − 1 happen under `plan`; returns the degradation its EVs' discharge has cost so far (yuan). */
  async commit(k: number, periods: number, plan: WindowPlan): Promise<number> {
    const v = this.view;
    if (!v || v.k !== k) throw new ZonalError(`was told to commit the window from period ${k}, but its open window is ${v ? `from ${v.k}` : 'none'}`, `zone ${this.zoneId}`);
    let schedules: EvSchedules | NonNullable<ZoneWindow['onPlan']>;
    if (plan.kind === 'standing') {
      if (!v.onPlan) throw new ZonalError(`was told to keep its standing plan from period ${k}, but its window is not what that plan expected`, `zone ${this.zoneId}`);
      schedules = v.onPlan;
    } else if (plan.kind === 'agreed') {
      const a = this.answers.get(plan.round);
      if (!a) throw new ZonalError(`was told the DSO accepted its answer of round ${plan.round} in the window from period ${k}, but it gave none`, `zone ${this.zoneId}`);
      schedules = a.schedules;
    } else {
      // No answer of the zone's was accepted: its EVs follow its own last answer, or its own optimum.
      const last = [...this.answers.values()].at(-1) ?? { schedules: (await this.solve({ round: 0 })).schedules };
      schedules = last.schedules;
    }
    this.zone.adopt(v, schedules);
    this.zone.apply(k, periods);
    return this.zone.dischargedKwh() * this.zone.forecast.problem.degradationYuanPerKwh;
  }

  finish(): RealisedZoneDay {
    const short = this.zone.shortfalls();
    return {
      zoneId: this.zoneId, busEvKw: this.zone.busEvKw(), degradationYuan: this.zone.dischargedKwh() * this.zone.forecast.problem.degradationYuanPerKwh,
      ...this.zone.counts(), shortfallEvs: short.filter((s) => !s.leftOut).length, shortfallKwh: short.reduce((a, s) => a + s.shortfallKwh, 0),
    };
  }

  private freshContext() {
    return { exporter: new LpExporter(undefined), rng: createRng(this.zone.forecast.config.seed).fork(`zone${this.zone.forecast.config.id}`) };
  }
}
