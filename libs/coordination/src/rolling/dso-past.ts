import { InputError } from '@zonal/core';
import type { BuiltDispatch, DispatchInputs } from '@zonal/dispatch';

/**
 * What the DSO dispatched before a rolling window's first period (issue 12: what was dispatched in a
 * past period is never re-opened). Per period its diesel and PV / wind outputs; the purchase then
 * follows from the fixed loads (the zones' realised EV power is fixed load there, `withPastLoad`) and
 * the network, so the day's emissions, its peak purchase and the energy bought so far stay in the
 * one full-day model as they were realised.
 */
export interface DsoPast {
  /** Periods 0 .. periods − 1 are past. */
  periods: number;
  /** `[unit][t]`, kW, in the inputs' `diesels` and `renewables` order (at least `periods` values each). */
  dieselKw: ReadonlyArray<ArrayLike<number>>;
  renewableKw: ReadonlyArray<ArrayLike<number>>;
}

/**
 * Holds a DSO model's past periods at what was dispatched: every model the DSO solves of a network
 * with a past (its clearing, each round's step, the evaluation, the oracle) calls this from `extend`.
 * Capacitor steps are not held: a dispatch does not report them (the shipped scenarios have none).
 */
export function fixDsoPast(built: BuiltDispatch, past: DsoPast | undefined): void {
  if (!past || past.periods === 0) return;
  const m = built.model, v = built.vars;
  for (let t = 0; t < past.periods; t++) {
    past.dieselKw.forEach((kw, g) => m.setColBounds(v.diesel.at(g, t), kw[t], kw[t]));
    past.renewableKw.forEach((kw, u) => m.setColBounds(v.renewable.at(u, t), kw[t], kw[t]));
  }
}

/** A past that fits the inputs: one series per unit, each covering the past periods; the error names the field. */
export function checkDsoPast(inputs: DispatchInputs, past: DsoPast): void {
  const T = inputs.grid.periods;
  if (!Number.isInteger(past.periods) || past.periods < 0 || past.periods > T) throw new InputError(`must be an integer in [0, ${T}], got ${past.periods}`, 'past.periods');
  if (past.dieselKw.length !== inputs.diesels.length) throw new InputError(`has ${past.dieselKw.length} series for ${inputs.diesels.length} diesel unit(s)`, 'past.dieselKw');
  if (past.renewableKw.length !== inputs.renewables.length) throw new InputError(`has ${past.renewableKw.length} series for ${inputs.renewables.length} PV / wind unit(s)`, 'past.renewableKw');
  for (const [field, rows] of [['dieselKw', past.dieselKw], ['renewableKw', past.renewableKw]] as const) {
    rows.forEach((kw, k) => {
      if (kw.length < past.periods) throw new InputError(`[${k}] has ${kw.length} values for ${past.periods} past periods`, `past.${field}`);
      for (let t = 0; t < past.periods; t++) if (!Number.isFinite(kw[t])) throw new InputError(`[${k}][${t}] is ${kw[t]}`, `past.${field}`);
    });
  }
}
