import type { Fleet } from './fleet';
import type { Sessions } from './session';

/**
 * Per-EV schedules in compact form: only plugged periods are stored, in time order from arrival,
 * so 100 000 EVs x 24 periods take about 1.3 M entries per array. Powers are battery side (see
 * types.ts); entry `k` of EV `i` is day period `(start[i] + k) % periods`.
 */
export interface EvSchedules {
  periods: number;
  /** First plugged period of each EV; -1 when the EV has no schedule (left out). */
  start: Int32Array;
  /** EV `i` owns entries `offset[i] .. offset[i+1]-1`. */
  offset: Int32Array;
  chargeKw: Float64Array;
  dischargeKw: Float64Array;
}

/** Empty schedules with room for every EV for which `include(i)` holds. */
export function allocateSchedules(s: Sessions, include: (i: number) => boolean): EvSchedules {
  const offset = new Int32Array(s.size + 1);
  const start = new Int32Array(s.size).fill(-1);
  for (let i = 0; i < s.size; i++) {
    const on = include(i) && s.length[i] > 0;
    if (on) start[i] = s.start[i];
    offset[i + 1] = offset[i] + (on ? s.length[i] : 0);
  }
  const entries = offset[s.size];
  return { periods: s.grid.periods, start, offset, chargeKw: new Float64Array(entries), dischargeKw: new Float64Array(entries) };
}

/** Net battery-side power per day period, summed over the EVs. */
export function netKwByPeriod(sched: EvSchedules): Float64Array {
  const out = new Float64Array(sched.periods);
  for (let i = 0; i + 1 < sched.offset.length; i++) {
    for (let e = sched.offset[i], t = sched.start[i]; e < sched.offset[i + 1]; e++, t = t + 1 === sched.periods ? 0 : t + 1) {
      out[t] += sched.chargeKw[e] - sched.dischargeKw[e];
    }
  }
  return out;
}

/** One EV's schedule as dense arrays over the day (0 where not plugged). */
export function evScheduleByPeriod(sched: EvSchedules, i: number): { chargeKw: Float64Array; dischargeKw: Float64Array } {
  const chargeKw = new Float64Array(sched.periods), dischargeKw = new Float64Array(sched.periods);
  for (let e = sched.offset[i], t = sched.start[i]; e < sched.offset[i + 1]; e++, t = (t + 1) % sched.periods) {
    chargeKw[t] = sched.chargeKw[e];
    dischargeKw[t] = sched.dischargeKw[e];
  }
  return { chargeKw, dischargeKw };
}

/**
 * Grid-side load of schedules (SPEC §2 sign: charging positive): an EV charging `c` battery-side
 * draws `c / eta`, one discharging `d` gives `d * eta`. Summed over all EVs and per bus (EVs not
 * placed on a bus count in the total only).
 */
export function gridLoadKw(fleet: Fleet, sched: EvSchedules): { totalKw: Float64Array; byBusKw: Map<number, Float64Array> } {
  const T = sched.periods, totalKw = new Float64Array(T), byBusKw = new Map<number, Float64Array>();
  for (let i = 0; i < fleet.size; i++) {
    if (sched.offset[i + 1] === sched.offset[i]) continue;
    const bus = fleet.bus[i], eta = fleet.eta[i];
    let busKw = byBusKw.get(bus);
    if (bus >= 0 && !busKw) byBusKw.set(bus, (busKw = new Float64Array(T)));
    for (let e = sched.offset[i], t = sched.start[i]; e < sched.offset[i + 1]; e++, t = t + 1 === T ? 0 : t + 1) {
      const kw = sched.chargeKw[e] / eta - sched.dischargeKw[e] * eta;
      totalKw[t] += kw;
      if (busKw) busKw[t] += kw;
    }
  }
  return { totalKw, byBusKw };
}
