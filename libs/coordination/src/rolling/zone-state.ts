import { ZonalError } from '@zonal/core';
import { evScheduleByPeriod, Fleet, aggregateEnvelope, type EvSchedules, type EvSpec, type TimeGrid } from '@zonal/ev';
import { zonePartyOf, type ZoneParty } from '../zone-party';
import {
  advance, batteryOf, energyAfter, matchPieces, pieceSpec, sessionPiece, step, stayOf,
  type EvBattery, type Piece, type PieceSchedule,
} from './pieces';
import type { RealisedDay } from './realised';

/** One realised EV as its zone tracks it through the day. */
interface EvState {
  spec: EvSpec;
  battery: EvBattery;
  /** Its stay from the grid's start (`stayOf`): `end` > T is a stay across 00:00. */
  start: number;
  end: number;
  /** Where it unplugs (RealisedSession.leaveBoundary), on the same count as `end`. */
  leave: number;
  eArrivalKwh: number;
  targetKwh: number;
  /** Why the zone leaves it out of every schedule (as the zone's fleet leaves such an EV out of the day-ahead), or null. */
  leftOut: string | null;
  /** Stored energy at each day boundary it is plugged in at (NaN elsewhere, and until known). */
  energyAt: Float64Array;
  /** Battery-side power it was given, per day period (kW). */
  chargeKw: Float64Array;
  dischargeKw: Float64Array;
}

/** What a zone takes into one window of the rolling negotiation (issue 12 item 1). */
export interface ZoneWindow {
  /** The window's first boundary. */
  k: number;
  /** Its fleet: the realised EVs present at `k` with the energy they hold, then the forecast sessions still to come. */
  pieces: Piece[];
  /** The zone as a party for this window: that fleet, and its base net load with its EVs' realised power in the past periods. */
  party: ZoneParty;
  /** Its EVs' realised grid-side power per bus in the periods before `k` (kW per period; zero from `k`): what the DSO metered. */
  pastBusEvKw: Map<number, Float64Array>;
  /** The standing plan's schedule for each piece when the window is what that plan expected (nothing deviated), else null. */
  onPlan: PieceSchedule[] | null;
  /** Energy short of their targets that arrived EVs can no longer get (an EV that arrived between boundaries and waited), kWh. */
  cappedKwh: number;
}

/** An EV that left short of its target (issue 12 item 2: reported by EV and kWh, never dropped). */
export interface Shortfall {
  zoneId: number;
  ev: string;
  bus: number;
  /** It left before its announced departure. */
  leftEarly: boolean;
  /** Why the zone left it out of every schedule (target unreachable in its announced stay), when it did. */
  leftOut: string | null;
  /** Hours from the grid's start (past 24: the next morning) of its announced departure and of its leaving. */
  announcedDepartureH: number;
  leftAtH: number;
  targetKwh: number;
  /** Stored energy when it left, and its target less that (kWh). */
  storedKwh: number;
  shortfallKwh: number;
}

/** A window as the zone lived it (kept for the tests: what the policy saw and what the zone did). */
export interface ZoneWindowRecord {
  k: number;
  pieces: Piece[];
  /** The schedule each piece was given (the plan the zone applied from `k`). */
  schedules: PieceSchedule[];
  /** Its window fleet as the policy saw it (the party's fleet, in piece order). */
  fleet: Fleet;
  replanned: boolean;
}

/** Below this a shortfall (kWh) is rounding. */
const SHORTFALL_TOL_KWH = 1e-6;

/**
 * A zone aggregator through the day (issue 12 items 1–2): its forecast party (its sessions file,
 * as the day-ahead negotiation used it), its realised day (sessions as its charge points report
 * them), the state of every realised EV, and its standing plan. Everything here stays in the zone:
 * the DSO gets its window announces (`announceOf(window.party)`) and its metered past per bus.
 *
 * Conventions (README, "Rolling horizon"): a session across the grid's start arrived the evening
 * before, as the periodic day has it, so it is known from boundary 0; its energy at 00:00 is what the
 * first plan gives its evening (the periodic day's continuity), and its evening, once 00:00 is past,
 * is a stay to the end of the day that must end at that energy. A session that starts at boundary b
 * is known from b; the forecast's sessions starting after the window's first boundary stand for
 * what is still to come (its sessions across 00:00 are the realised ones, known from the start). An
 * EV that arrives between two boundaries waits, drawing nothing, until the next one, where its
 * target is capped at what it can still reach (`ZoneWindow.cappedKwh`).
 */
export class RollingZone {
  readonly id: number;
  private readonly T: number;
  private readonly dtH: number;
  private readonly grid: TimeGrid;
  private readonly evs: EvState[];
  private readonly forecastPieces: Piece[];
  private plan: { pieces: Piece[]; schedules: PieceSchedule[] } | null = null;
  readonly records: ZoneWindowRecord[] = [];

  constructor(readonly forecast: ZoneParty, realised: RealisedDay, private readonly opts: { keepRecords?: boolean } = {}) {
    if (realised.zoneId !== forecast.config.id) throw new ZonalError(`realised day of zone ${realised.zoneId} given to zone ${forecast.config.id}`, 'rolling');
    this.id = forecast.config.id;
    this.grid = forecast.problem.grid;
    this.T = this.grid.periods;
    this.dtH = this.grid.dtH;
    const fleet = Fleet.fromSpecs(realised.sessions.map((s) => s.spec));
    const leftOut = new Map(aggregateEnvelope(fleet, this.grid).excluded.map((p) => [p.index, p.message]));
    this.evs = realised.sessions.flatMap((s, i): EvState[] => {
      const stay = stayOf(fleet, i, this.grid);
      if (!stay || s.leaveBoundary === null) return [];
      if (!(s.leaveBoundary > stay.start && s.leaveBoundary <= stay.end)) {
        throw new ZonalError(`EV ${s.spec.id} leaves at boundary ${s.leaveBoundary}, outside its stay ${stay.start}..${stay.end}`, `zone ${this.id} realised day`);
      }
      const cap = fleet.capacityKwh[i];
      const ev: EvState = {
        spec: s.spec, battery: batteryOf(fleet, i), ...stay, leave: s.leaveBoundary,
        eArrivalKwh: fleet.socArrival[i] * cap, targetKwh: Math.max(fleet.socTarget[i], fleet.socMin[i]) * cap,
        leftOut: leftOut.get(i) ?? null,
        energyAt: new Float64Array(this.T + 1).fill(NaN), chargeKw: new Float64Array(this.T), dischargeKw: new Float64Array(this.T),
      };
      ev.energyAt[stay.start] = ev.eArrivalKwh;
      // An EV left out draws nothing all its stay.
      if (ev.leftOut) {
        for (let b = stay.start; b <= stay.end; b++) {
          if (b <= this.T) ev.energyAt[b] = ev.eArrivalKwh;
          if (b >= this.T) ev.energyAt[b - this.T] = ev.eArrivalKwh;
        }
      }
      return [ev];
    });
    // The forecast sessions the zone leaves out of its day-ahead are left out of every window too.
    const f = forecast.problem.fleet, out = new Set(forecast.excluded.map((p) => p.index));
    this.forecastPieces = Array.from({ length: f.size }, (_, i) => (out.has(i) ? null : sessionPiece(f, i, this.grid, { kind: 'forecast', index: i }))).filter((p): p is Piece => p !== null);
  }

  /**
   * The standing plan before the first window: the day-ahead agreement, every forecast session whole
   * with the schedule the zone's day-ahead answer gave it (`schedules`: over the forecast fleet).
   */
  adoptDayAhead(schedules: EvSchedules): void {
    this.plan = {
      pieces: this.forecastPieces,
      schedules: this.forecastPieces.map((p) => dense(schedules, (p.source as { index: number }).index)),
    };
  }

  /** The zone's window from boundary `k`: its fleet, its party, its metered past, and whether it is on plan. */
  window(k: number): ZoneWindow {
    const { T, dtH } = this;
    let cappedKwh = 0;
    const realised: Piece[] = this.evs.flatMap((ev, i) => (ev.leftOut ? [] : this.realisedPieces(ev, i, k))).map((p) => {
      const can = (p.end - p.start) * p.ev.pChargeMaxKw * dtH;
      if (p.eEndKwh - p.eStartKwh <= can) return p;
      cappedKwh += p.eEndKwh - p.eStartKwh - can;
      return { ...p, eEndKwh: p.eStartKwh + can };
    });
    const pieces = [...realised, ...this.forecastPieces.filter((p) => p.end <= T && p.start > k)];
    const pastBusEvKw = this.busEvKw(k);
    const pastKw = new Float64Array(T);
    for (const kw of pastBusEvKw.values()) kw.forEach((v, t) => { pastKw[t] += v; });
    const config = { ...this.forecast.config, baseNetLoadKw: this.forecast.config.baseNetLoadKw.map((b, t) => b + pastKw[t]) };
    const specs = pieces.map((p, j) => pieceSpec(p, dtH, pieceId(p, j)));
    const party = zonePartyOf(config, specs, `${this.forecast.source} (window from period ${k})`);
    const expected = this.plan ? this.plan.pieces.flatMap((p, j) => advance(p, this.plan!.schedules[j], k, T, dtH).map((piece) => ({ piece, schedule: this.plan!.schedules[j] }))) : [];
    return { k, pieces, party, pastBusEvKw, onPlan: this.plan ? matchPieces(pieces, expected) : null, cappedKwh };
  }

  /** The window's plan: the zone's answer (its per-EV schedules over the window's fleet), or the standing plan it kept (`window.onPlan`). */
  adopt(w: ZoneWindow, plan: EvSchedules | PieceSchedule[]): void {
    const schedules = Array.isArray(plan) ? plan : w.pieces.map((_p, j) => dense(plan, j));
    this.plan = { pieces: w.pieces, schedules };
    if (this.opts.keepRecords) this.records.push({ k: w.k, pieces: w.pieces, schedules, fleet: w.party.problem.fleet, replanned: !Array.isArray(plan) });
  }

  /**
   * The realised periods `k` .. `k + K − 1`: every present EV does what the plan gives it, until it
   * leaves (early or not); an EV that arrives inside the window waits. Each EV's energy follows
   * exactly (SPEC §2, battery side), so the next window starts from it.
   */
  apply(k: number, K: number): void {
    if (!this.plan) throw new ZonalError('has no plan to apply', `zone ${this.id}`);
    const { T } = this;
    const to = Math.min(k + K, T);
    this.plan.pieces.forEach((p, j) => {
      if (p.source.kind !== 'realised') return;
      const ev = this.evs[p.source.index], s = this.plan!.schedules[j];
      if (p.source.part === 'stay' && p.end > T) {
        // A stay across 00:00 planned whole (boundary 0): its energy at 00:00 is its evening's under this plan.
        ev.energyAt[0] = energyAfter(ev.eArrivalKwh, s, ev.start, T, this.dtH);
        this.run(ev, s, 0, Math.min(to, ev.leave - T));
        this.run(ev, s, ev.start, to);
      } else if (p.source.part === 'stay') this.run(ev, s, Math.max(k, p.start), Math.min(to, p.end, ev.leave));
      else if (p.source.part === 'morning') this.run(ev, s, k, Math.min(to, p.end, ev.leave - T));
      else this.run(ev, s, Math.max(k, p.start), to);
    });
    // Arrived inside the window, after its first boundary: it waits for the next one.
    for (const ev of this.evs) {
      if (ev.end > T || ev.start <= k || ev.start >= to) continue;
      for (let b = ev.start + 1; b <= Math.min(to, ev.leave); b++) ev.energyAt[b] = ev.eArrivalKwh;
    }
  }

  private run(ev: EvState, s: PieceSchedule, from: number, to: number): void {
    for (let t = from; t < to; t++) {
      if (Number.isNaN(ev.energyAt[t])) throw new ZonalError(`EV ${ev.spec.id}: no stored energy known at boundary ${t}`, `zone ${this.id}`);
      ev.chargeKw[t] = s.chargeKw[t];
      ev.dischargeKw[t] = s.dischargeKw[t];
      ev.energyAt[t + 1] = step(ev.energyAt[t], s, t, this.dtH);
    }
  }

  /** The realised EV's pieces at boundary `k` (none before it is known, none once it has left). */
  private realisedPieces(ev: EvState, index: number, k: number): Piece[] {
    const { T } = this;
    const at = (b: number) => {
      const e = ev.energyAt[b];
      if (Number.isNaN(e)) throw new ZonalError(`EV ${ev.spec.id}: no stored energy known at boundary ${b}`, `zone ${this.id}`);
      return e;
    };
    const piece = (start: number, end: number, eStartKwh: number, eEndKwh: number, part: 'stay' | 'morning' | 'evening'): Piece =>
      ({ ev: ev.battery, start, end, eStartKwh, eEndKwh, source: { kind: 'realised', index, part } });
    if (ev.end <= T) {
      if (ev.start > k || k >= ev.leave) return [];
      return [piece(k, ev.end, at(k), ev.targetKwh, 'stay')];
    }
    // Across 00:00: whole at boundary 0 (it arrived the evening before), then its morning and its evening.
    if (k === 0) return [piece(ev.start, ev.end, ev.eArrivalKwh, ev.targetKwh, 'stay')];
    const out: Piece[] = [];
    if (k < ev.leave - T) out.push(piece(k, ev.end - T, at(k), ev.targetKwh, 'morning'));
    out.push(ev.start > k ? piece(ev.start, T, ev.eArrivalKwh, at(0), 'evening') : piece(k, T, at(k), at(0), 'evening'));
    return out;
  }

  /** Realised grid-side EV power per bus over the periods before `upTo` (kW; zero after). */
  busEvKw(upTo = this.T): Map<number, Float64Array> {
    const out = new Map<number, Float64Array>();
    for (const ev of this.evs) {
      let kw = out.get(ev.battery.bus);
      for (let t = 0; t < upTo; t++) {
        const x = ev.chargeKw[t] / ev.battery.eta - ev.dischargeKw[t] * ev.battery.eta;
        if (x === 0) continue;
        if (!kw) out.set(ev.battery.bus, (kw = new Float64Array(this.T)));
        kw[t] += x;
      }
    }
    return new Map([...out].sort(([a], [b]) => a - b));
  }

  /** Battery energy the zone's EVs discharged over the day (kWh): what degradation is paid on. */
  dischargedKwh(): number {
    return this.evs.reduce((a, ev) => a + ev.dischargeKw.reduce((x, d) => x + d, 0) * this.dtH, 0);
  }

  /** Stored energy of realised EV `ev` when it unplugged, and the day boundary that was. */
  private departure(ev: EvState): { boundary: number; kwh: number } {
    const boundary = ev.end > this.T ? ev.leave - this.T : ev.leave;
    return { boundary, kwh: ev.energyAt[boundary] };
  }

  /**
   * Every EV that left short of its target, and every EV the zone left out (issue 12 item 2); and an
   * EV parked across 00:00 whose evening ended the day below the energy it held at 00:00 (the
   * periodic day's continuity broken: its "target" there is that energy, and it "leaves" at 24:00).
   */
  shortfalls(): Shortfall[] {
    const { T, dtH } = this;
    return this.evs.flatMap((ev): Shortfall[] => {
      const dep = this.departure(ev);
      if (Number.isNaN(dep.kwh)) throw new ZonalError(`EV ${ev.spec.id} left at boundary ${dep.boundary} with no stored energy known: the day was not run to its end`, `zone ${this.id}`);
      const out: Shortfall[] = [];
      const short = ev.targetKwh - dep.kwh;
      const row = { zoneId: this.id, ev: ev.spec.id, bus: ev.battery.bus, leftOut: ev.leftOut };
      if (short > SHORTFALL_TOL_KWH || ev.leftOut) {
        out.push({ ...row, leftEarly: ev.leave < ev.end, announcedDepartureH: ev.end * dtH, leftAtH: ev.leave * dtH, targetKwh: ev.targetKwh, storedKwh: dep.kwh, shortfallKwh: Math.max(0, short) });
      }
      const periodic = ev.end > T ? ev.energyAt[0] - ev.energyAt[T] : 0;
      if (periodic > SHORTFALL_TOL_KWH) {
        out.push({ ...row, leftEarly: false, announcedDepartureH: T * dtH, leftAtH: T * dtH, targetKwh: ev.energyAt[0], storedKwh: ev.energyAt[T], shortfallKwh: periodic });
      }
      return out;
    });
  }

  /**
   * The zone's realised EVs as the hindsight optimum sees them (harness only): each EV from its
   * arrival to when it actually left, holding then at least what it left with under this run, up to
   * its target (so the hindsight serves every EV as well as the run did: equal service); EVs the zone
   * left out stay out.
   */
  hindsightSpecs(): EvSpec[] {
    return this.evs.flatMap((ev) => {
      if (ev.leftOut) return [];
      const dep = this.departure(ev);
      const target = Math.min(ev.targetKwh, dep.kwh);
      return [{ ...ev.spec, arrivalH: ev.start * this.dtH, departureH: ev.leave * this.dtH, socTarget: Math.min(ev.battery.socMax, target / ev.battery.capacityKwh) }];
    });
  }

  /** Realised EVs (plugged in for at least a period), and those that leave early. */
  counts(): { evs: number; leftEarly: number; leftOut: number } {
    return { evs: this.evs.length, leftEarly: this.evs.filter((ev) => ev.leave < ev.end).length, leftOut: this.evs.filter((ev) => ev.leftOut).length };
  }

  /** The stored energy of realised EV `id` at each day boundary (NaN where unplugged): for tests and audits. */
  energyOf(id: string): Float64Array | undefined {
    return this.evs.find((ev) => ev.spec.id === id)?.energyAt;
  }
}

/** An EV's schedule from a zone answer, dense over the day. */
function dense(s: EvSchedules, i: number): PieceSchedule {
  return evScheduleByPeriod(s, i);
}

/** Unique in a window's fleet: a realised EV's id (its morning and evening marked), or a forecast session's. */
function pieceId(p: Piece, j: number): string {
  if (p.source.kind === 'forecast') return `forecast:${p.ev.id}:${j}`;
  return p.source.part === 'stay' ? p.ev.id : `${p.ev.id}:${p.source.part}`;
}
