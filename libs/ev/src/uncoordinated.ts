import type { Fleet } from './fleet';
import { allocateSchedules, gridLoadKw, type EvSchedules } from './schedules';
import { neededKwh, problems, PROBLEM_UNREACHABLE, sessions } from './session';
import type { EvProblem, TimeGrid } from './types';

/**
 * Uncoordinated charging (seed 002 baseline, SPEC §7.4): every EV charges at full power from the
 * moment it is plugged in until it holds its departure target; the last period charges exactly the
 * remainder (partial power), so the energy is exact. An EV that cannot reach its target charges at
 * full power for its whole stay and is reported; a dropped EV (no whole plugged period) does not charge.
 */
export interface UncoordinatedProfile {
  /** Battery-side charging per EV. */
  schedules: EvSchedules;
  /** Battery side, per period, all EVs. */
  batteryKw: Float64Array;
  /** Grid side (battery kW / eta), per period, all EVs. */
  gridKw: Float64Array;
  /** Grid side per bus, for the EVs placed on a bus. */
  gridKwByBus: Map<number, Float64Array>;
  /** EVs that do not charge at all (no whole plugged period, or outside the horizon). */
  dropped: EvProblem[];
  /** EVs that charge all the time they are plugged in and still miss their target. */
  shortOfTarget: EvProblem[];
}

export function uncoordinatedProfile(fleet: Fleet, grid: TimeGrid): UncoordinatedProfile {
  const s = sessions(fleet, grid);
  const { periods: T, dtH } = s.grid;
  const schedules = allocateSchedules(s, (i) => s.length[i] > 0);
  const batteryKw = new Float64Array(T);
  for (let i = 0; i < s.size; i++) {
    let remainingKwh = neededKwh(s, i);
    const stepKwh = s.chargeMaxKw[i] * dtH;
    for (let e = schedules.offset[i], t = s.start[i]; e < schedules.offset[i + 1] && remainingKwh > 0; e++, t = (t + 1) % T) {
      const kwh = Math.min(stepKwh, remainingKwh);
      remainingKwh -= kwh;
      schedules.chargeKw[e] = kwh / dtH;
      batteryKw[t] += kwh / dtH;
    }
  }
  const { totalKw, byBusKw } = gridLoadKw(fleet, schedules);
  const all = problems(fleet, s);
  return {
    schedules, batteryKw, gridKw: totalKw, gridKwByBus: byBusKw,
    dropped: all.filter((p) => s.problem[p.index] !== PROBLEM_UNREACHABLE),
    shortOfTarget: all.filter((p) => s.problem[p.index] === PROBLEM_UNREACHABLE),
  };
}
