/**
 * A feeder split into areas (issue 11 item 4; SPEC §8's boundary exchange): each area holds its own
 * buses, the branches into them, its loads, DERs and zones' EVs, and one *copy* of each cut line it
 * touches — the cut line's P, Q and the squared voltage at both ends. The area's data is a small
 * feeder of its own (`AreaData.inputs`, built for the DSO's dispatch model) with two kinds of ghost
 * bus: the parent-side end of its incoming cut line as that feeder's slack (voltage and purchase
 * freed), and the child-side end of each outgoing cut line as a leaf whose balance rows are dropped.
 * Both areas of a cut line carry its voltage-drop row, so their copies agree when consensus does.
 *
 * Who owns what (the split must give the centralised objective, term for term):
 * - buses: their area (voltage band and its penalty); a ghost bus prices nothing.
 * - a cut line's rating polygon and overload penalty: the child area (the line feeds its root);
 *   the parent area keeps the rows but prices nothing on them.
 * - the purchase at the substation, its transformer rating and the capacity (demand) charge on the
 *   day's peak purchase: the root area (the one holding the slack bus), since they are functions of the
 *   purchase alone.
 * - the carbon ladder on the day's total excess emission (seed 001 eq 4, convex on a feeder-wide sum):
 *   coordinated. Each other area's excess (its diesel and DER quota, in tonnes) is a boundary variable
 *   of its own, shared with the root area, which holds a copy of each and prices the ladder on the
 *   total. One number per area per day.
 * - diesel, curtailment, zones' EV envelopes, degradation and peak tie-break: the area holding them.
 */
import { InputError } from '@zonal/core';
import type { ZoneSetup } from '@zonal/coordination';
import type { DieselUnit, DispatchInputs, FlexibleLoad, RenewableUnit } from '@zonal/dispatch';
import { buildRadialNetwork, type Feeder, type RadialNetwork } from '@zonal/feeder';
import { subtreeZones } from '@zonal/partition';

/** An area as a caller gives it: an id and its bus ids. */
export interface AreaSpec {
  id: number;
  buses: number[];
}

/** A branch whose ends lie in different areas, oriented away from the substation. */
export interface CutLine {
  from: number;
  to: number;
  fromArea: number;
  toArea: number;
}

/**
 * What an area declares about its boundary (all the coordinator needs from it): the cut lines it
 * touches and which end is its own, and whether it owns the carbon ladder (the root area) or
 * contributes an excess to it.
 */
export interface AreaBoundary {
  areaId: number;
  periods: number;
  dtH: number;
  /**
   * `wScaleKwPerPu2`: kW-equivalents per pu² of squared voltage at the line's ends, S_base / (2·|Z|) with
   * Z the impedance from the substation to the line's far end (by LinDistFlow, 1 kW more through that
   * path lowers w there by 2·R/S_base): the coordinator measures every residual in kW with it.
   */
  cutLines: Array<{ from: number; to: number; ownEnd: 'from' | 'to'; wScaleKwPerPu2: number }>;
  carbon: 'owner' | 'contributor';
  /** The area ids whose excess the owner holds a copy of (owner only). */
  carbonContributors: number[];
}

/** One area's own data: what a zone agent owning its part of the feeder would hold. */
export interface AreaData {
  id: number;
  isRoot: boolean;
  /** The area's feeder (own buses + ghost ends), in the DSO dispatch model's input form. */
  inputs: DispatchInputs;
  /** Its zones (their EVs' envelopes), each flexible load's buses in the area feeder's positions. */
  zones: ZoneSetup[];
  boundary: AreaBoundary;
  /** Area-feeder position of the ghost parent end of the incoming cut line (its slack), or -1 in the root area. */
  ghostParentPos: number;
  /** Area-feeder positions of the ghost child ends of the outgoing cut lines, in `boundary.cutLines` order of those lines. */
  ghostChildPos: number[];
  /** Area-feeder position → position in the whole feeder. */
  fullPos: Int32Array;
  /** A flow no optimum reaches (ten times the whole feeder's), kW: the range of a ghost's and a cut line's copies. */
  bigKw: number;
}

export interface NetworkSplit {
  areas: AreaData[];
  cutLines: CutLine[];
  /** Id of the area holding the substation (slack) bus. */
  rootArea: number;
}

/**
 * Splits a feeder's dispatch inputs into areas. `areas` must cover every bus exactly once, each one
 * connected part of the radial feeder; `zones` (the DSO's model of each zone's EVs, optional) must each
 * lie inside one area. Errors name the area and the bus.
 */
export function splitNetwork(inputs: DispatchInputs, areas: readonly AreaSpec[], zones: readonly ZoneSetup[] = []): NetworkSplit {
  const { net } = inputs;
  const feeder = net.feeder;
  if (!areas.length) throw new InputError('no areas given: a split needs at least one', 'areas');
  if (inputs.capacitors.length) {
    throw new InputError(`${inputs.capacitors.length} capacitor bank(s) with integer steps: the network-split method needs convex areas (an LP each)`, 'ders.capacitors',
      'solve this feeder centralised (zonal dispatch), or model the banks as fixed reactive injections');
  }
  const posOfId = new Map(feeder.buses.map((b, i) => [b.id, i]));
  const areaOfPos = new Int32Array(net.nBus).fill(-1);
  const seenIds = new Set<number>();
  areas.forEach((a, k) => {
    const where = `areas[${k}] (area ${a.id})`;
    if (!Number.isInteger(a.id)) throw new InputError(`area id must be an integer, got ${a.id}`, where);
    if (seenIds.has(a.id)) throw new InputError(`area id ${a.id} is given twice`, where);
    seenIds.add(a.id);
    if (!a.buses.length) throw new InputError('has no buses', where);
    for (const b of a.buses) {
      const pos = posOfId.get(b);
      if (pos === undefined) throw new InputError(`bus ${b} is not in feeder "${feeder.name}"`, where);
      if (areaOfPos[pos] >= 0) throw new InputError(`bus ${b} is also in area ${areas[areaOfPos[pos]].id}`, where);
      areaOfPos[pos] = k;
    }
  });
  const orphans = feeder.buses.filter((_b, pos) => areaOfPos[pos] < 0).map((b) => b.id);
  if (orphans.length) throw new InputError(`bus(es) ${listIds(orphans)} belong to no area`, 'areas');

  // An area is one connected part of a radial feeder exactly when one of its buses is fed from
  // outside it (or is the slack): two such buses are two pieces.
  const entries: number[][] = areas.map(() => []);
  for (let pos = 0; pos < net.nBus; pos++) {
    const p = net.parentPos[pos];
    if (p < 0 || areaOfPos[p] !== areaOfPos[pos]) entries[areaOfPos[pos]].push(pos);
  }
  entries.forEach((e, k) => {
    if (e.length > 1) {
      const from = e.map((pos) => net.parentPos[pos] < 0 ? `${feeder.buses[pos].id} (the substation)` : `${feeder.buses[pos].id} (fed from bus ${feeder.buses[net.parentPos[pos]].id} in area ${areas[areaOfPos[net.parentPos[pos]]].id})`);
      throw new InputError(`is not one connected part of the radial feeder: buses ${from.join(' and ')} are each fed from outside it`, `areas[${k}] (area ${areas[k].id})`,
        'an area must be a connected subtree; split it in two or merge the pieces');
    }
  });

  const rootK = areaOfPos[net.slackPos];
  const cutLines: CutLine[] = [];
  for (const pos of net.order) {
    const p = net.parentPos[pos];
    if (p >= 0 && areaOfPos[p] !== areaOfPos[pos]) {
      cutLines.push({ from: feeder.buses[p].id, to: feeder.buses[pos].id, fromArea: areas[areaOfPos[p]].id, toArea: areas[areaOfPos[pos]].id });
    }
  }

  const zoneArea = zones.map((z) => {
    const ks = new Set(z.flexible.busShares.map((s) => areaOfPos[s.busPos]));
    for (const b of z.buses) { const pos = posOfId.get(b); if (pos !== undefined) ks.add(areaOfPos[pos]); }
    if (ks.size !== 1) {
      throw new InputError(`spans areas ${[...ks].map((k) => areas[k].id).join(' and ')}: each zone's EVs must lie in one area`, `zone ${z.id}`,
        'make each area a union of whole zones');
    }
    return [...ks][0];
  });

  const bigKw = magnitudes(inputs, zones);
  const wScale = voltageScales(inputs);
  const built = areas.map((a, k) => areaData(inputs, a, k, k === rootK, areaOfPos, entries[k][0], areas, zones.filter((_z, i) => zoneArea[i] === k), bigKw, wScale));
  return { areas: built, cutLines, rootArea: areas[rootK].id };
}

function areaData(
  inp: DispatchInputs, spec: AreaSpec, k: number, isRoot: boolean, areaOfPos: Int32Array, entryPos: number,
  areas: readonly AreaSpec[], zones: ZoneSetup[], bigKw: number, wScale: Float64Array,
): AreaData {
  const { net } = inp;
  const full = net.feeder;
  const T = inp.grid.periods;
  const own = Array.from(net.order).filter((pos) => areaOfPos[pos] === k);
  const children: number[] = [];
  for (const pos of net.order) { const p = net.parentPos[pos]; if (p >= 0 && areaOfPos[p] === k && areaOfPos[pos] !== k) children.push(pos); }
  // Area-feeder positions: [ghost parent,] own buses in breadth-first order, ghost children.
  const fullPos = Int32Array.from([...(isRoot ? [] : [net.parentPos[entryPos]]), ...own, ...children]);
  const ghostParentPos = isRoot ? -1 : 0;
  const ghostChildPos = children.map((_c, i) => fullPos.length - children.length + i);
  const localOf = new Map(Array.from(fullPos, (p, i) => [p, i]));

  const buses: Feeder['buses'] = Array.from(fullPos, (p, i) => ({
    ...full.buses[p],
    pdKw: 0, qdKvar: 0, // loads come from the dispatch inputs (ghosts have none)
    isSlack: isRoot ? p === net.slackPos : i === ghostParentPos,
  }));
  const branches: Feeder['branches'] = [];
  fullPos.forEach((p, i) => {
    if (i === ghostParentPos || p === net.slackPos) return;
    const br = full.branches[net.parentBranch[p]];
    branches.push({ ...br, inService: true });
  });
  const feeder: Feeder = { ...full, name: `${full.name}-area${spec.id}`, buses, branches, tieLines: [], ders: [] };
  const areaNet = buildRadialNetwork(feeder);
  // The dispatch model reads positions in the area feeder's table order; the radial index must agree.
  if (areaNet.nBus !== fullPos.length) throw new Error(`area ${spec.id}: its feeder has ${areaNet.nBus} buses, expected ${fullPos.length}`);

  const isOwn = (p: number) => areaOfPos[p] === k;
  const pick = (a: Float64Array, ghostValue = 0) => Float64Array.from(fullPos, (p) => (isOwn(p) ? a[p] : ghostValue));
  const s = inp.scenario;
  const scenario = isRoot ? s : {
    ...s,
    // The purchase, its transformer, its capacity charge and its emissions are the root area's: here
    // the "purchase" is the incoming cut line's flow, which costs nothing and emits nothing.
    grid: { ...s.grid, thermalShare: 0 },
    tariff: { ...s.tariff, demandCharge: { ...s.tariff.demandCharge, enabled: false } },
    network: { ...s.network, substation: undefined },
  };
  const remap = <U extends { busPos: number }>(u: U) => ({ ...u, busPos: localOf.get(u.busPos)! });
  const renewables: RenewableUnit[] = inp.renewables.filter((u) => isOwn(u.busPos)).map(remap);
  const diesels: DieselUnit[] = inp.diesels.filter((d) => isOwn(d.busPos)).map(remap);
  // A cut line's rating is carried by the area-feeder branch into its ghost child (priced nowhere
  // there, see area-model.ts) and into the child area's root (priced there).
  const sMaxKva = Float64Array.from(fullPos, (p, i) => (i === ghostParentPos ? Infinity : inp.sMaxKva[p]));
  const rs = inp.ratingScale;
  const inputs: DispatchInputs = {
    scenario, net: areaNet, grid: inp.grid,
    loadPKw: inp.loadPKw.map((a) => pick(a)),
    loadQKvar: inp.loadQKvar.map((a) => pick(a)),
    evPKw: inp.evPKw.map((a) => pick(a)),
    renewables, diesels, capacitors: [],
    priceYuanPerKwh: isRoot ? inp.priceYuanPerKwh : new Float64Array(T),
    sMaxKva,
    ...(rs ? {
      ratingScale: {
        branch: rs.branch.map((a) => Float64Array.from(fullPos, (p) => a[p])),
        substation: isRoot ? rs.substation : new Float64Array(T).fill(1),
        ...(rs.voltageMarginPu ? { voltageMarginPu: rs.voltageMarginPu.map((a) => pick(a)) } : {}),
      },
    } : {}),
  };

  const areaZones = zones.map((z) => ({
    ...z,
    flexible: { ...z.flexible, busShares: z.flexible.busShares.map((b) => ({ busPos: localOf.get(b.busPos)!, share: b.share })) } satisfies FlexibleLoad,
  }));
  const id = (p: number) => full.buses[p].id;
  const boundary: AreaBoundary = {
    areaId: spec.id, periods: T, dtH: inp.grid.dtH,
    cutLines: [
      ...(isRoot ? [] : [{ from: id(net.parentPos[entryPos]), to: id(entryPos), ownEnd: 'to' as const, wScaleKwPerPu2: wScale[entryPos] }]),
      ...children.map((c) => ({ from: id(net.parentPos[c]), to: id(c), ownEnd: 'from' as const, wScaleKwPerPu2: wScale[c] })),
    ],
    carbon: isRoot ? 'owner' : 'contributor',
    carbonContributors: isRoot ? areas.filter((_a, i) => i !== k).map((a) => a.id) : [],
  };
  return { id: spec.id, isRoot, inputs, zones: areaZones, boundary, ghostParentPos, ghostChildPos, fullPos, bigKw };
}

/** Per bus position: S_base / (2·|Z|), Z the impedance from the substation to the bus (see AreaBoundary). */
function voltageScales(inp: DispatchInputs): Float64Array {
  const { net } = inp;
  const r = new Float64Array(net.nBus), x = new Float64Array(net.nBus), out = new Float64Array(net.nBus);
  const sBaseKw = net.feeder.baseMva * 1000;
  for (const pos of net.order) {
    const p = net.parentPos[pos];
    if (p < 0) continue;
    r[pos] = r[p] + net.rPu[pos];
    x[pos] = x[p] + net.xPu[pos];
    out[pos] = sBaseKw / (2 * Math.max(Math.hypot(r[pos], x[pos]), 1e-9));
  }
  return out;
}

/** Ten times everything that could flow anywhere on the feeder (as the dispatch's `boundForQp` reckons it). */
function magnitudes(inp: DispatchInputs, zones: readonly ZoneSetup[]): number {
  let total = 0;
  for (let t = 0; t < inp.grid.periods; t++) {
    total = Math.max(total, inp.loadPKw[t].reduce((a, b) => a + Math.abs(b), 0) + inp.loadQKvar[t].reduce((a, b) => a + Math.abs(b), 0)
      + inp.renewables.reduce((a, u) => a + u.availableKw[t], 0) + inp.diesels.reduce((a, d) => a + d.pMaxKw, 0)
      + zones.reduce((a, z) => a + Math.max(Math.abs(z.flexible.lbKw[t]), Math.abs(z.flexible.ubKw[t])), 0));
  }
  return 10 * Math.max(total, 1);
}

function listIds(ids: number[]): string {
  return ids.slice(0, 10).join(', ') + (ids.length > 10 ? `, … (${ids.length} in all)` : '');
}

/**
 * `count` connected areas of about equal bus count, for feeders without a zone list: the equal
 * subtrees of libs/partition `subtreeZones`. Ids 1.., in the order cut, the root area last.
 */
export function radialAreas(net: RadialNetwork, count: number): AreaSpec[] {
  return subtreeZones(net, count, 'areas').map((buses, i) => ({ id: i + 1, buses }));
}
