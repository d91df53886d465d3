import { describe, expect, it } from 'vitest';
import { InputError } from '@zonal/core';
import { buildDispatchInputs } from '@zonal/dispatch';
import { buildRadialNetwork, loadIeee33, makeSyntheticFeeder } from '@zonal/feeder';
import { loadScenario, parseScenario } from '@zonal/scenario';
import { radialAreas, splitNetwork, type AreaSpec } from './areas';
import { boundaryIndex, copyOrder } from './boundary';

const scenario = loadScenario('small-test');
const inputs = buildDispatchInputs(scenario, loadIeee33());
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
/** IEEE-33 in three areas: the main feeder's head with the laterals 19–25, its tail (9–18), the lateral 26–33. */
const three: AreaSpec[] = [
  { id: 1, buses: [...range(1, 8), ...range(19, 25)] },
  { id: 2, buses: range(9, 18) },
  { id: 3, buses: range(26, 33) },
];

const refusal = (f: () => unknown) => {
  try { f(); } catch (e) { expect(e).toBeInstanceOf(InputError); return (e as Error).message; }
  throw new Error('expected an InputError');
};

describe('splitNetwork', () => {
  it('gives each area its buses, ghost ends and cut lines, oriented away from the substation', () => {
    const split = splitNetwork(inputs, three);
    expect(split.rootArea).toBe(1);
    expect(split.cutLines.map((l) => `${l.from}-${l.to}:${l.fromArea}>${l.toArea}`).sort()).toEqual(['6-26:1>3', '8-9:1>2']);
    const [a1, a2] = split.areas;
    expect(a1.isRoot && !a2.isRoot).toBe(true);
    expect(a1.ghostChildPos).toHaveLength(2);
    // Area 2's feeder: the ghost of bus 8 as its slack, then its own ten buses.
    expect(a2.inputs.net.feeder.buses.map((b) => b.id)).toEqual([8, ...range(9, 18)]);
    expect(a2.inputs.net.feeder.buses[a2.ghostParentPos].isSlack).toBe(true);
    // Its loads are its own; the ghost has none; the purchase is priced only in the root area.
    expect(a2.inputs.loadPKw[12][0]).toBe(0);
    expect(a2.inputs.loadPKw[12][1]).toBe(inputs.loadPKw[12][8]);
    expect(Array.from(a2.inputs.priceYuanPerKwh).every((p) => p === 0)).toBe(true);
    expect(a2.inputs.scenario.tariff.demandCharge.enabled).toBe(false);
    // Every DER is in exactly one area.
    expect(split.areas.reduce((n, a) => n + a.inputs.renewables.length, 0)).toBe(inputs.renewables.length);
    expect(split.areas.reduce((n, a) => n + a.inputs.diesels.length, 0)).toBe(inputs.diesels.length);
  });

  it('declares a boundary the coordinator pairs up: four quantities per cut line and period, one excess per non-root area', () => {
    const split = splitNetwork(inputs, three);
    const index = boundaryIndex(split.areas.map((a) => a.boundary), 1000);
    const T = inputs.grid.periods;
    expect(index.size).toBe(4 * 2 * T + 2);
    expect(index.carbonOwner).toBe(1);
    expect(index.carbonContributors).toEqual([2, 3]);
    // Every line quantity has one copy in each of its two areas; each excess one in its area and one in the root's.
    const copies = new Map<number, number>();
    for (const c of index.copies.values()) for (const g of c) copies.set(g, (copies.get(g) ?? 0) + 1);
    expect([...copies.values()].every((n) => n === 2)).toBe(true);
    expect(copies.size).toBe(index.size);
    expect(copyOrder(split.areas[1].boundary)).toHaveLength(4 * T + 1);
  });

  it('refuses bad areas by name', () => {
    expect(refusal(() => splitNetwork(inputs, []))).toMatch(/no areas given/);
    expect(refusal(() => splitNetwork(inputs, [...three, { id: 4, buses: [] }]))).toMatch(/area 4\): has no buses/);
    expect(refusal(() => splitNetwork(inputs, [three[0], three[1], { id: 3, buses: [...three[2].buses, 99] }]))).toMatch(/bus 99 is not in feeder "ieee33"/);
    expect(refusal(() => splitNetwork(inputs, [{ id: 2, buses: [8, ...three[1].buses] }, three[0], three[2]]))).toMatch(/bus 8 is also in area 2/);
    expect(refusal(() => splitNetwork(inputs, [three[0], three[1]]))).toMatch(/bus\(es\) 26, 27, .* belong to no area/);
    expect(refusal(() => splitNetwork(inputs, [three[0], three[1], { ...three[2], id: 2 }]))).toMatch(/area id 2 is given twice/);
    // Two laterals in one area: 19–22 hang off bus 2, 23–25 off bus 3 (area 1): not one connected part.
    const twoPieces = [{ id: 1, buses: [...range(1, 18), ...range(26, 33)] }, { id: 2, buses: range(19, 25) }];
    expect(refusal(() => splitNetwork(inputs, twoPieces))).toMatch(/area 2\): is not one connected part of the radial feeder: buses 19 \(fed from bus 2 in area 1\) and 23 \(fed from bus 3 in area 1\)/);
  });

  it('refuses a zone that spans two areas, and capacitor banks (an area must be an LP)', () => {
    const zone = { id: 7, buses: [8, 9], flexible: { name: 'zone7', lbKw: new Float64Array(24), ubKw: new Float64Array(24), busShares: [{ busPos: 7, share: new Float64Array(24).fill(0.5) }, { busPos: 8, share: new Float64Array(24).fill(0.5) }] } };
    expect(refusal(() => splitNetwork(inputs, three, [zone as never]))).toMatch(/zone 7: spans areas 1 and 2/);
    const withCaps = buildDispatchInputs(parseScenario({ ...scenario, ders: { ...scenario.ders, capacitors: [{ bus: 30, stepKvar: 150, steps: 4 }] } }, 'caps'), loadIeee33());
    expect(refusal(() => splitNetwork(withCaps, three))).toMatch(/capacitor bank\(s\) with integer steps/);
  });
});

describe('boundaryIndex', () => {
  const declared = () => splitNetwork(inputs, three).areas.map((a) => structuredClone(a.boundary));

  it('refuses a cut line to a bus no area holds, a doubled end, a second carbon owner and another time grid', () => {
    const b = declared();
    b[1].cutLines[0] = { ...b[1].cutLines[0], from: 77 };
    expect(refusal(() => boundaryIndex(b, 1000))).toMatch(/cut lines 8-9 \(declared by area 1 only: no area holds its to end, bus 9\), 77-9 \(declared by area 2 only: no area holds its from end, bus 77\)/);
    const twice = declared();
    twice[2].cutLines.push({ ...twice[1].cutLines[0] });
    expect(refusal(() => boundaryIndex(twice, 1000))).toMatch(/cut line 8-9: both area 2 and area 3 hold its to end \(bus 9\)/);
    const owners = declared();
    owners[2] = { ...owners[2], carbon: 'owner', carbonContributors: [] };
    expect(refusal(() => boundaryIndex(owners, 1000))).toMatch(/2 areas own the carbon ladder \(1, 3\)/);
    const grid = declared();
    grid[2] = { ...grid[2], periods: 96, dtH: 0.25 };
    expect(refusal(() => boundaryIndex(grid, 1000))).toMatch(/area 3: runs 96 periods of 0.25 h, area 1 24 of 1 h/);
  });
});

describe('radialAreas', () => {
  it('cuts a feeder into connected areas of about equal size that splitNetwork accepts', () => {
    const net = buildRadialNetwork(makeSyntheticFeeder({ buses: 300, seed: 7 }));
    const areas = radialAreas(net, 4);
    expect(areas).toHaveLength(4);
    expect(areas.flatMap((a) => a.buses).sort((x, y) => x - y)).toEqual(range(1, 300));
    for (const a of areas) expect(a.buses.length).toBeGreaterThan(40);
    const feederInputs = buildDispatchInputs(scenario, net.feeder);
    expect(splitNetwork(feederInputs, areas).areas.filter((a) => a.isRoot)).toHaveLength(1);
    expect(refusal(() => radialAreas(net, 0))).toMatch(/must be an integer in \[1, 300\]/);
  });
});
