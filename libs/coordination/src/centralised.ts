import { LimitWorkingSet, runDispatch, type BuiltDispatch, type DispatchResult } from '@zonal/dispatch';
import { addEnvelope, addEnvelopeGroups } from '@zonal/policies';
import type { LpExporter } from '@zonal/solver';
import { coarseStart, startsFromCoarse } from './clearing-start';
import { fixDsoPast } from './rolling/dso-past';
import type { NegotiationSetup, ZoneSetup } from './setup';

export interface CentralisedResult {
  dispatch: DispatchResult;
  /** Grid-side EV power of each zone per period (kW). */
  zoneEvKw: Float64Array[];
  degradationYuan: number;
  /** SPEC §8's total cost for the gap: eq 1 (purchase + diesel + carbon + curtailment) + EV degradation. */
  totalCostYuan: number;
  /** Per zone and period, the dual of the row linking its flexible load to its envelope (yuan per kW per period). */
  linkDuals: Float64Array[];
  /** A large oracle's start, the clearing over the zones' coarser sums (clearing-start.ts): its LP solves and iterations. */
  coarseStart?: { solveMs: number[]; solveIterations: number[] };
}

/**
 * The monolithic problem (SPEC §8): the DSO's dispatch with every zone's envelope groups inside it,
 * over the same envelopes the zones announce (never per-EV variables), with each zone's declared
 * terms (V2G degradation, the peak tie-break). The oracle every negotiation is measured against —
 * the harness's job (`zonal sim`, or a DSO given the zone files): over exact groupings
 * (window-energy) it is the per-EV optimum of the whole feeder for direct-control zones.
 */
export async function solveCentralised(setup: NegotiationSetup, opts: { exporter?: LpExporter } = {}): Promise<CentralisedResult> {
  let degradation: Array<{ cols: number[]; coef: number; linkRows: number[] }> = [];
  let degradationYuan = 0;
  let linkDuals: Float64Array[] = [];
  // From no limit rows, not the inputs' (which other solves of the same network grew): the oracle's
  // answer then does not depend on what was solved before it.
  const workingSet = new LimitWorkingSet();
  // Many groups: the LP starts from the optimum over coarser sums of them (clearing-start.ts).
  const start = startsFromCoarse(setup.zones) ? await coarseStart(setup, { workingSet, extend: (built) => fixDsoPast(built, setup.past) }) : null;
  const dispatch = await runDispatch(setup.inputs, {
    exporter: opts.exporter,
    workingSet,
    warmStartFor: start ? (built) => start.basisFor(built) : undefined,
    initialLossSqPu: start?.lossSqPu,
    flexible: setup.zones.map((z) => z.flexible),
    extend: (built) => { fixDsoPast(built, setup.past); degradation = setup.zones.map((z, k) => addZoneTerms(built, z, k)); },
    onSolved: (_built, sol) => {
      degradationYuan = degradation.reduce((a, d) => a + d.cols.reduce((s, c) => s + d.coef * sol.value(c), 0), 0);
      linkDuals = degradation.map((d) => Float64Array.from(d.linkRows, (r) => sol.dual(r)));
    },
  });
  return {
    dispatch, zoneEvKw: dispatch.flexKw, degradationYuan, totalCostYuan: dispatch.costs.totalYuan + degradationYuan, linkDuals,
    ...(start ? { coarseStart: { solveMs: start.solveMs, solveIterations: start.solveIterations } } : {}),
  };
}

/**
 * A zone's announced envelope inside a DSO model: the flexible load equals the envelope's grid-side
 * power. Returns the link rows (their duals price the zone's power) and the discharge columns.
 */
export function addEnvelopeLink(built: BuiltDispatch, zone: ZoneSetup, k: number): { linkRows: number[]; dischargeCols: number[] } {
  const m = built.model;
  const grid = zone.bid.grid;
  const env = addEnvelopeGroups(m, zone.bid.envelopeGroups, zone.bid.eta, grid, zoneGroupsPrefix(zone));
  const flex = built.vars.flexKw[k];
  const linkRows: number[] = [], dischargeCols: number[] = [];
  for (let t = 0; t < grid.periods; t++) {
    const g = env.gridTerms(t);
    linkRows.push(m.addConstraint(`z${zone.id}link`, [t], [flex.at(t), ...g.cols], [1, ...g.coefs.map((c) => -c)], '=', 0));
    dischargeCols.push(env.dischargeKw.at(t));
  }
  return { linkRows, dischargeCols };
}

/** The prefix of a zone's envelope groups' families in a DSO model (policies envelopeGroupFamilies). */
export function zoneGroupsPrefix(zone: ZoneSetup): string {
  return `z${zone.id}ev`;
}

/**
 * A zone's aggregate envelope (the sum of its announced groups) inside a DSO model: a relaxation of
 * addEnvelopeLink, every point the groups allow and some they do not, in 3 columns and 1 row a period.
 * For a model whose answer the zone's own exact step then corrects (the ADMM step, methods/admm.ts).
 */
export function addAggregateLink(built: BuiltDispatch, zone: ZoneSetup, k: number): void {
  const m = built.model;
  const grid = zone.bid.grid;
  const env = addEnvelope(m, zone.envelope, zone.bid.eta, grid, `z${zone.id}agg`);
  const flex = built.vars.flexKw[k];
  for (let t = 0; t < grid.periods; t++) {
    const g = env.gridTerms(t);
    m.addConstraint(`z${zone.id}link`, [t], [flex.at(t), ...g.cols], [1, ...g.coefs.map((c) => -c)], '=', 0);
  }
}

/**
 * A zone's envelope and its private terms (as direct-control has them): discharge pays degradation,
 * the zone's net-load peak pays the tie-break. Returns the degradation columns and their cost per kW.
 */
export function addZoneTerms(built: BuiltDispatch, zone: ZoneSetup, k: number): { cols: number[]; coef: number; linkRows: number[] } {
  const m = built.model;
  const grid = zone.bid.grid, dt = grid.dtH;
  const { dischargeCols, linkRows } = addEnvelopeLink(built, zone, k);
  const flex = built.vars.flexKw[k];
  const peak = m.addVar(`z${zone.id}peak`, [], { lb: -1e7, ub: 1e7 });
  for (let t = 0; t < grid.periods; t++) {
    m.addConstraint(`z${zone.id}peakDef`, [t], [peak, flex.at(t)], [1, -1], '>=', zone.bid.baseNetLoadKw[t]);
    m.setObjectiveCoef(dischargeCols[t], zone.bid.degradationYuanPerKwh * dt);
  }
  m.setObjectiveCoef(peak, zone.bid.peakTieBreakYuanPerKw);
  return { cols: dischargeCols, coef: zone.bid.degradationYuanPerKwh * dt, linkRows };
}
