import { InputError } from '@zonal/core';
import { Fleet } from './fleet';
import { neededKwh, sessions, type Sessions } from './session';
import type { EvSpec, TimeGrid } from './types';

/**
 * The four EV user classes of seed 001 §2.8, as SPEC §7.1 orders the tests. C is the set of TOU price
 * classes (peak p, off-peak o, valley v) the EV's plugged-in periods cover:
 *   |C| = 1                                           -> 1 (one class only)
 *   v not in C                                        -> 2 (peak and off-peak)
 *   v in C and off-peak + valley charging meets the need -> 3
 *   otherwise                                         -> 4 (must also charge at peak)
 * "Meets the need": full battery-side power over the o and v periods reaches the departure target.
 */
export type TouCode = 'p' | 'o' | 'v';
export type UserClass = 1 | 2 | 3 | 4;

/** The TOU class of every period of a grid. */
export interface TouPeriods {
  grid: TimeGrid;
  codes: readonly TouCode[];
}

function validateTou(tou: TouPeriods): void {
  if (tou.codes.length !== tou.grid.periods) throw new InputError(`has ${tou.codes.length} codes; the grid has ${tou.grid.periods} periods`, 'tou.codes');
  tou.codes.forEach((c, t) => {
    if (c !== 'p' && c !== 'o' && c !== 'v') throw new InputError(`period ${t} has code ${JSON.stringify(c)}; expected "p", "o" or "v"`, 'tou.codes');
  });
}

function classOf(s: Sessions, i: number, codes: readonly TouCode[]): UserClass | 0 {
  const T = s.grid.periods;
  let p = false, o = false, v = false, cheapPeriods = 0;
  for (let j = 0, t = s.start[i]; j < s.length[i]; j++, t = t + 1 === T ? 0 : t + 1) {
    const c = codes[t];
    if (c === 'p') p = true;
    else {
      if (c === 'o') o = true;
      else v = true;
      cheapPeriods++;
    }
  }
  const classes = Number(p) + Number(o) + Number(v);
  if (classes === 0) return 0;
  if (classes === 1) return 1;
  if (!v) return 2;
  return cheapPeriods * s.chargeMaxKw[i] * s.grid.dtH >= neededKwh(s, i) ? 3 : 4;
}

/** The user class of one EV, or null when it is plugged in for no whole period. */
export function classifyUser(ev: EvSpec, tou: TouPeriods): UserClass | null {
  validateTou(tou);
  const fleet = Fleet.fromSpecs([ev]);
  const c = classOf(sessions(fleet, tou.grid), 0, tou.codes);
  return c === 0 ? null : c;
}

/** Classes of a whole fleet (0 for an EV plugged in for no whole period or outside the horizon). */
export function classifyFleet(fleet: Fleet, tou: TouPeriods): Uint8Array {
  validateTou(tou);
  const s = sessions(fleet, tou.grid);
  const out = new Uint8Array(fleet.size);
  for (let i = 0; i < fleet.size; i++) out[i] = classOf(s, i, tou.codes);
  return out;
}
