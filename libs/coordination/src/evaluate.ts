import { ZonalError } from '@zonal/core';
import { runDispatch, type DispatchResult, type FlexibleLoad } from '@zonal/dispatch';
import type { LpExporter } from '@zonal/solver';
import { fixDsoPast } from './rolling/dso-past';
import type { NegotiationSetup, ZoneSetup } from './setup';

/** One tie line's trade over the day (SPEC §8: priced at min(multiplier, eq 11 cap)). */
export interface Trade {
  from: number;
  to: number;
  /** Zone that sells (upstream end when the flow runs away from the substation) and zone that buys. */
  fromZone: number;
  toZone: number;
  /** Energy from `fromZone` to `toZone` (negative: the other way), kWh/day. */
  energyKwh: number;
  /** What the buyers pay the sellers, at min(receiving-end multiplier, eq 11 cap), yuan/day. */
  valueYuan: number;
  /** Receiving-end multiplier minus the trade price, times the energy: the DSO's rent, yuan/day. */
  congestionRentYuan: number;
  /** Energy-weighted average trade price, yuan/kWh. */
  avgPriceYuanPerKwh: number;
  /**
   * What each price came from, per period with a flow: the AC flow from `fromZone` to `toZone` (kW),
   * the receiving end's multiplier (the dual of its power balance), the eq 11 cap (grid price plus
   * the tie line's avoided loss) and the price, min(multiplier, cap); yuan/kWh.
   */
  periods: Array<{ period: number; pKw: number; multiplierYuanPerKwh: number | null; capYuanPerKwh: number; priceYuanPerKwh: number }>;
}

export interface Evaluation {
  dispatch: DispatchResult;
  degradationYuan: number;
  /** SPEC §8's total cost: eq 1 (purchase + diesel + carbon + curtailment) + EV degradation. */
  totalCostYuan: number;
  trades: Trade[];
}

/** A zone's EV power at each of its buses (kW per period), as its answer reported it. */
export type BusEvKw = ReadonlyArray<{ bus: number; kw: ArrayLike<number> }>;

/**
 * The DSO's dispatch with every zone's EV schedule fixed, verified by AC power flow: the cost of the
 * negotiated outcome, on the same footing as the centralised solve. With `busEvKw` (what each zone's
 * EVs draw at each bus: their per-EV schedules summed there) it is the operating point the EVs
 * actually produce; without, the DSO's model of the agreed aggregates (each zone's total spread over
 * its buses by the shares of its announced flexibility).
 */
export async function evaluateSchedules(
  setup: NegotiationSetup, zoneEvKw: Float64Array[], degradationYuan: number,
  opts: { exporter?: LpExporter; busEvKw?: ReadonlyArray<BusEvKw | undefined> } = {},
): Promise<Evaluation> {
  const { inputs, net } = setup;
  const T = inputs.grid.periods, dt = inputs.grid.dtH;
  let lmp: Float64Array[] = [];
  const flexible = setup.zones.flatMap((z, k) => fixedZoneLoads(setup, z, zoneEvKw[k], opts.busEvKw?.[k]));
  const dispatch = await runDispatch(inputs, {
    exporter: opts.exporter,
    flexible,
    extend: (built) => fixDsoPast(built, setup.past),
    onSolved: (built, sol) => {
      lmp = sol.hasDuals
        ? built.demandDuals(sol).map((row) => row.map((y) => y / dt))
        : Array.from({ length: T }, () => new Float64Array(net.nBus).fill(NaN));
    },
  });
  const trades = setup.tieLines.map((tl) => {
    const fromPos = net.feeder.buses.findIndex((b) => b.id === tl.from), toPos = net.feeder.buses.findIndex((b) => b.id === tl.to);
    // The branch is stored at its downstream end; flows there run parent → child.
    const child = net.parentPos[toPos] === fromPos ? toPos : fromPos;
    const sign = child === toPos ? 1 : -1;
    let energy = 0, absEnergy = 0, value = 0, rent = 0;
    const periods: Trade['periods'] = [];
    for (let t = 0; t < T; t++) {
      const pKw = sign * dispatch.acBranchPKw[t][child];
      if (Math.abs(pKw) < 1e-9) continue;
      const receiving = pKw > 0 ? toPos : fromPos;
      const multiplier = lmp[t][receiving];
      // Seed 001 eq 11: the buyer pays at most the grid price plus the tie-line loss it avoids.
      const lossKw = dispatch.acBranchLossKw[t][child];
      const cap = inputs.priceYuanPerKwh[t] * (1 + lossKw / Math.abs(pKw));
      const price = Math.min(Number.isFinite(multiplier) ? multiplier : cap, cap);
      periods.push({ period: t, pKw, multiplierYuanPerKwh: Number.isFinite(multiplier) ? multiplier : null, capYuanPerKwh: cap, priceYuanPerKwh: price });
      energy += pKw * dt;
      absEnergy += Math.abs(pKw) * dt;
      value += price * Math.abs(pKw) * dt;
      rent += (Number.isFinite(multiplier) ? Math.max(0, multiplier - price) : 0) * Math.abs(pKw) * dt;
    }
    return { ...tl, energyKwh: energy, valueYuan: value, congestionRentYuan: rent, avgPriceYuanPerKwh: absEnergy > 0 ? value / absEnergy : 0, periods };
  });
  return { dispatch, degradationYuan, totalCostYuan: dispatch.costs.totalYuan + degradationYuan, trades };
}

/**
 * A zone's fixed EV load as the dispatch takes it: per bus where the zone said where its EVs draw
 * (plus whatever of its total is not at a bus — its storage — by the announced shares), else its
 * total by the shares.
 */
function fixedZoneLoads(setup: NegotiationSetup, zone: ZoneSetup, totalKw: Float64Array, byBus: BusEvKw | undefined): FlexibleLoad[] {
  const T = totalKw.length;
  const fixed = (name: string, kw: ArrayLike<number>, busShares: FlexibleLoad['busShares']): FlexibleLoad =>
    ({ name, lbKw: Float64Array.from(kw), ubKw: Float64Array.from(kw), busShares });
  if (!byBus) return [fixed(zone.flexible.name, totalKw, zone.flexible.busShares)];
  const rest = Float64Array.from(totalKw);
  const loads = byBus.map(({ bus, kw }) => {
    // The wire schema checks the lengths; a bus outside the zone is a zone's error, named.
    if (!zone.buses.includes(bus)) throw new ZonalError(`zone ${zone.id} reported EV power at bus ${bus}, which is not one of its buses`, `zone ${zone.id}`);
    if (kw.length !== T) throw new ZonalError(`zone ${zone.id} reported EV power at bus ${bus} over ${kw.length} periods, not ${T}`, `zone ${zone.id}`);
    for (let t = 0; t < T; t++) rest[t] -= kw[t];
    const busPos = setup.feeder.buses.findIndex((b) => b.id === bus);
    return fixed(`${zone.flexible.name}b${bus}`, kw, [{ busPos, share: new Float64Array(T).fill(1) }]);
  });
  // Rounding of a sum of thousands of schedules leaves ~1e-12 kW: not a load.
  if (rest.some((v) => Math.abs(v) > 1e-9)) loads.push(fixed(`${zone.flexible.name}rest`, rest, zone.flexible.busShares));
  return loads;
}
