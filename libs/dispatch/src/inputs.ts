import { InputError } from '@zonal/core';
import { buildRadialNetwork, runPowerFlow, type Feeder, type RadialNetwork } from '@zonal/feeder';
import { profileAtPeriods, tariffAtPeriods, timeGrid, type NetworkScenario, type TimeGrid } from '@zonal/scenario';
import { LimitWorkingSet } from './limits';

/** A generating unit at a bus with its available power per period (PV and wind: profile × rating). */
export interface RenewableUnit {
  kind: 'pv' | 'wind';
  busId: number;
  busPos: number;
  availableKw: Float64Array;
}

export interface DieselUnit {
  busId: number;
  busPos: number;
  pMinKw: number;
  pMaxKw: number;
  costYuanPerKwh: number;
  emissionTPerMwh: number;
  mustRun: boolean;
}

export interface CapacitorBank {
  busId: number;
  busPos: number;
  stepKvar: number;
  steps: number;
}

/**
 * Everything the DSO dispatch needs, in per-period arrays over bus positions (the order of the
 * feeder's bus table). Built once from a scenario, a feeder and the fixed EV charging load.
 */
export interface DispatchInputs {
  scenario: NetworkScenario;
  net: RadialNetwork;
  grid: TimeGrid;
  /** Fixed demand per period and bus position: base load × profile (+ EV charging when given). */
  loadPKw: Float64Array[];
  loadQKvar: Float64Array[];
  /** The EV part of loadPKw, kept apart for reports. */
  evPKw: Float64Array[];
  renewables: RenewableUnit[];
  diesels: DieselUnit[];
  capacitors: CapacitorBank[];
  priceYuanPerKwh: Float64Array;
  /** Rating of the branch feeding each bus position, kVA (Infinity for the slack). */
  sMaxKva: Float64Array;
  /**
   * A planner's own margins, per period: each branch's rating (`[t][j]`) and the substation's
   * (`[t]`) scaled by these, and the voltage band narrowed, in the LP only (the AC check judges the
   * real limits). Absent: none.
   */
  ratingScale?: {
    branch: Float64Array[]; substation: Float64Array;
    /** `[t][j]`: pu the LP keeps inside the voltage band at bus position j (both edges). */
    voltageMarginPu?: Float64Array[];
  };
  /**
   * The voltage and rating rows that bound or came near binding in earlier lazy dispatches of this
   * network (limits.ts): every later one starts from them. Shared by copies of these inputs (a
   * planner's copy with its own `ratingScale` included); it only grows, and changes no optimum.
   */
  workingSet?: LimitWorkingSet;
}

export function busPosition(feeder: Feeder, busId: number, where: string): number {
  const pos = feeder.buses.findIndex((b) => b.id === busId);
  if (pos < 0) throw new InputError(`bus ${busId} is not in feeder "${feeder.name}"`, where);
  return pos;
}

/**
 * Line ratings (SPEC §3): the case has none, so each branch is rated at `multiple` × its |S| in the
 * 1.0x base-case AC flow (static loads, no DERs, no EVs).
 */
export function declaredRatingsKva(net: RadialNetwork, multiple: number): Float64Array {
  const n = net.nBus;
  const p = new Float64Array(n), q = new Float64Array(n);
  net.feeder.buses.forEach((b, i) => { p[i] = b.pdKw; q[i] = b.qdKvar; });
  const pf = runPowerFlow(net, p, q);
  const s = new Float64Array(n).fill(Infinity);
  for (let j = 0; j < n; j++) {
    if (j === net.slackPos) continue;
    const sKva = Math.hypot(pf.branchPKw[j], pf.branchQKvar[j]);
    // A branch that carries nothing in the base case (an empty lateral) gets no finite rating.
    s[j] = sKva > 1e-9 ? multiple * sKva : Infinity;
  }
  return s;
}

export function buildDispatchInputs(scenario: NetworkScenario, feeder: Feeder, evPKwByPeriod?: Float64Array[]): DispatchInputs {
  const net = buildRadialNetwork(feeder);
  const grid = timeGrid(scenario);
  const T = grid.periods, n = net.nBus;
  const loadShape = profileAtPeriods(scenario.profiles.load, grid);
  const scale = scenario.network.loadScale;

  if (evPKwByPeriod && (evPKwByPeriod.length !== T || evPKwByPeriod.some((a) => a.length !== n))) {
    throw new InputError(`EV load must be ${T} periods × ${n} buses`, 'evLoad');
  }
  const evPKw = evPKwByPeriod ?? Array.from({ length: T }, () => new Float64Array(n));
  const loadPKw: Float64Array[] = [], loadQKvar: Float64Array[] = [];
  for (let t = 0; t < T; t++) {
    const p = new Float64Array(n), q = new Float64Array(n);
    feeder.buses.forEach((b, i) => {
      p[i] = b.pdKw * scale * loadShape[t] + evPKw[t][i];
      q[i] = b.qdKvar * scale * loadShape[t];
    });
    loadPKw.push(p);
    loadQKvar.push(q);
  }

  const pvShape = profileAtPeriods(scenario.profiles.pv, grid);
  const windShape = profileAtPeriods(scenario.profiles.wind, grid);
  const renewables: RenewableUnit[] = [
    ...scenario.ders.pv.map((u, i) => ({
      kind: 'pv' as const, busId: u.bus, busPos: busPosition(feeder, u.bus, `ders.pv[${i}].bus`),
      availableKw: pvShape.map((f) => f * u.pMaxKw),
    })),
    ...scenario.ders.wind.map((u, i) => ({
      kind: 'wind' as const, busId: u.bus, busPos: busPosition(feeder, u.bus, `ders.wind[${i}].bus`),
      availableKw: windShape.map((f) => f * u.pMaxKw),
    })),
  ];
  const diesels: DieselUnit[] = scenario.ders.diesel.map((d, i) => ({
    busId: d.bus, busPos: busPosition(feeder, d.bus, `ders.diesel[${i}].bus`),
    pMinKw: d.pMinKw, pMaxKw: d.pMaxKw, costYuanPerKwh: d.costYuanPerKwh, emissionTPerMwh: d.emissionTPerMwh, mustRun: d.mustRun,
  }));
  const capacitors: CapacitorBank[] = scenario.ders.capacitors.map((c, i) => ({
    busId: c.bus, busPos: busPosition(feeder, c.bus, `ders.capacitors[${i}].bus`), stepKvar: c.stepKvar, steps: c.steps,
  }));
  const priceYuanPerKwh = Float64Array.from(tariffAtPeriods(scenario.tariff.blocks, grid), (b) => b.priceYuanPerKwh);
  const sMaxKva = declaredRatingsKva(net, scenario.network.lineRating.baseCaseMultiple);
  return { scenario, net, grid, loadPKw, loadQKvar, evPKw, renewables, diesels, capacitors, priceYuanPerKwh, sMaxKva, workingSet: new LimitWorkingSet() };
}
