import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '@zonal/core';
import { scenarioFleet } from '@zonal/dispatch';
import { aggregateEnvelope, anchoredEnvelopeGroups, type AggregateEnvelope, type EnvelopeGrouping } from '@zonal/ev';
import { loadScenario, parseScenario, timeGrid, type Scenario } from '@zonal/scenario';
import { shutdownSolver } from '@zonal/solver';
import { buildSimSetup, excludedEvMessages, type SimSetup } from './harness';
import { buildDsoNetwork, negotiationSetup, refuseAnnounce, zoneSetupOf, type NegotiationSetup, type ZoneAnnounce } from './setup';
import { announcedEnvelope, announceOf, envelopeOfGroups } from './zone-party';

afterAll(() => shutdownSolver());

const small = loadScenario('small-test');
const withZones = (buses: number[][]): Scenario => parseScenario({ ...structuredClone(small), zones: { ...small.zones, buses } });
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
const POWER_FIELDS = ['pMinKw', 'pMaxKw', 'pChargeMaxGridKw', 'pDischargeMaxGridKw'] as const;
/** Equal to summation round-off, relative to the value. */
const near = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));

/** The DSO's setup as the harness holds it: everything but the zone parties and the partition. */
function dsoPart(sim: SimSetup): NegotiationSetup {
  const { parties: _parties, partition: _partition, ...dso } = sim;
  return dso;
}

/** Everything derived from the scenario, as plain data (for equality across builds). */
const zoneFacts = (s: SimSetup) => ({
  zones: s.zones.map((z, k) => ({
    id: z.id, buses: z.buses, evIds: s.parties[k].problem.fleet.id, evCount: z.evCount, evsLeftOut: z.evsLeftOut,
    envelope: [z.envelope.pMinKw, z.envelope.pMaxKw, z.envelope.pChargeMaxGridKw, z.envelope.pDischargeMaxGridKw, z.envelope.eMinKwh, z.envelope.eMaxKwh].map((a) => Array.from(a)),
    groups: z.bid.envelopeGroups.map((g) => [g.shiftPeriods, g.envelope.evCount]),
    baseNetLoadKw: Array.from(z.bid.baseNetLoadKw),
    busShares: z.flexible.busShares.map((b) => [b.busPos, Array.from(b.share)]),
  })),
  tieLines: s.tieLines,
  excludedEvs: excludedEvMessages(s),
});

/**
 * Every key and string value in an object tree, as JSON would carry it (typed arrays as arrays,
 * maps as entry lists), and every value held under an `excluded` key.
 */
function walk(root: unknown): { keys: Set<string>; strings: Set<string>; excluded: unknown[] } {
  const keys = new Set<string>(), strings = new Set<string>(), excluded: unknown[] = [];
  JSON.stringify(root, (key, value: unknown) => {
    if (key !== '' && !/^\d+$/.test(key)) keys.add(key);
    if (key === 'excluded') excluded.push(value);
    if (typeof value === 'string') strings.add(value);
    if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<number>);
    if (value instanceof Map) return [...value.entries()];
    if (value instanceof Set) return [...value];
    return value;
  });
  return { keys, strings, excluded };
}

describe('zones from the computed partition (small-test scenario)', async () => {
  const setup = await buildSimSetup(small);
  const T = small.time.periods;
  const whole = aggregateEnvelope(scenarioFleet(small, setup.feeder), timeGrid(small));

  it('uses the partition\'s zones and tie lines, every bus in exactly one zone', () => {
    expect(setup.partition).not.toBeNull();
    const p = setup.partition!;
    expect(setup.zones.map((z) => [z.id, z.buses])).toEqual(p.zones.map((z) => [z.id, z.buses]));
    expect(setup.scenario.zones).toEqual(p.zones.map((z) => ({ id: z.id, buses: z.buses })));
    expect(setup.zones.flatMap((z) => z.buses).sort((a, b) => a - b)).toEqual(range(1, 33));
    const key = (t: { from: number; to: number; fromZone: number; toZone: number }) => `${Math.min(t.from, t.to)}-${Math.max(t.from, t.to)}:${[t.fromZone, t.toZone].sort().join('/')}`;
    expect(setup.tieLines.map(key).sort()).toEqual(p.tieLines.map(key).sort());
  });

  it('counts every EV of the fleet in exactly one zone\'s announce, scheduled or left out', () => {
    expect(setup.zones.reduce((a, z) => a + z.evCount + z.evsLeftOut, 0)).toBe(small.evFleet.count);
    expect(setup.zones.reduce((a, z) => a + z.evCount, 0)).toBe(whole.evCount);
    expect(setup.zones.reduce((a, z) => a + z.evsLeftOut, 0)).toBe(whole.excluded.length);
  });

  it('has the zones\' announced envelopes sum to the whole fleet\'s power limits and day energy, and bound its energy between from outside', () => {
    // The DSO's zone envelope comes from the envelope groups alone (envelopeOfGroups): power per
    // period and energy over the day are exact sums, energy since 00:00 an outer bound (a bug in
    // zone membership would lose or double some EV).
    for (const field of POWER_FIELDS) {
      whole[field].forEach((v, t) => {
        const sum = setup.zones.reduce((a, z) => a + z.envelope[field][t], 0);
        expect(near(sum, v), `${field}[${t}]: zones ${sum}, fleet ${v}`).toBe(true);
      });
    }
    const eSum = (field: 'eMinKwh' | 'eMaxKwh', t: number) => setup.zones.reduce((a, z) => a + z.envelope[field][t], 0);
    expect(near(eSum('eMinKwh', T), whole.eMinKwh[T]), 'eMinKwh[T]').toBe(true);
    expect(near(eSum('eMaxKwh', T), whole.eMaxKwh[T]), 'eMaxKwh[T]').toBe(true);
    for (let t = 0; t < T; t++) {
      expect(eSum('eMinKwh', t), `eMinKwh[${t}]`).toBeLessThanOrEqual(whole.eMinKwh[t] + 1e-9 * (1 + Math.abs(whole.eMinKwh[t])));
      expect(eSum('eMaxKwh', t), `eMaxKwh[${t}]`).toBeGreaterThanOrEqual(whole.eMaxKwh[t] - 1e-9 * (1 + Math.abs(whole.eMaxKwh[t])));
    }
  });

  it('hands the DSO each zone as a flexible load bounded by its envelope\'s grid side, spread over its own buses', () => {
    for (const z of setup.zones) {
      expect(Array.from(z.flexible.ubKw)).toEqual(Array.from(z.envelope.pChargeMaxGridKw));
      expect(Array.from(z.flexible.lbKw)).toEqual(Array.from(z.envelope.pDischargeMaxGridKw, (v) => -v));
      expect(z.flexible.busShares.map((b) => setup.feeder.buses[b.busPos].id)).toEqual(z.buses);
      for (let t = 0; t < T; t++) {
        const shares = z.flexible.busShares.map((b) => b.share[t]);
        expect(shares.every((s) => s >= 0)).toBe(true);
        expect(Math.abs(shares.reduce((a, s) => a + s, 0) - 1)).toBeLessThan(1e-12);
      }
    }
  });

  it('splits the feeder\'s load minus its available PV and wind among the zones as their base net load', () => {
    const { inputs } = setup;
    for (let t = 0; t < T; t++) {
      const feederKw = inputs.loadPKw[t].reduce((a, v) => a + v, 0) - inputs.renewables.reduce((a, u) => a + u.availableKw[t], 0);
      const zonesKw = setup.zones.reduce((a, z) => a + z.bid.baseNetLoadKw[t], 0);
      expect(Math.abs(zonesKw - feederKw), `period ${t}`).toBeLessThan(1e-9 * Math.abs(feederKw));
    }
  });

  it('is deterministic: a second build from the same scenario gives the same zones, fleets and envelopes', async () => {
    const again = await buildSimSetup(loadScenario('small-test'));
    expect(zoneFacts(again)).toEqual(zoneFacts(setup));
    expect(again.partition!.chosen).toEqual(setup.partition!.chosen);
  });

  describe('the DSO holds no EV', () => {
    const evIds = new Set(setup.parties.flatMap((p) => p.problem.fleet.id));
    // Per-EV fields of a fleet or session (libs/ev Fleet, EvSpec) and lists of EVs.
    const perEv = /^(ids|evIds|evs|fleet|evFleet|sessions|socArrival|socTarget|arrivalH|departureH|capacityKwh|pChargeMaxKw|pDischargeMaxKw|v2g|schedules)$/;

    it.each([
      ['its negotiation setup', () => dsoPart(setup)],
      ['the zones\' announces', () => setup.parties.map(announceOf)],
    ])('%s: no EV id, no per-EV field, no EV left out named', (_what, of) => {
      expect(evIds.size).toBe(small.evFleet.count);
      const { keys, strings, excluded } = walk(of());
      expect([...strings].filter((s) => evIds.has(s)), 'strings that are EV ids').toEqual([]);
      expect([...keys].filter((k) => perEv.test(k)), 'per-EV keys').toEqual([]);
      expect(excluded.length, 'envelopes walked').toBeGreaterThan(0);
      expect(excluded.filter((e) => !Array.isArray(e) || e.length > 0), 'non-empty excluded lists').toEqual([]);
    });

    it('(the same walk finds every EV in the zone parties the harness holds beside it)', () => {
      const { keys, strings } = walk(setup.parties);
      expect([...evIds].filter((id) => !strings.has(id))).toEqual([]);
      expect([...keys].filter((k) => perEv.test(k)).sort()).toEqual(expect.arrayContaining(['arrivalH', 'capacityKwh', 'evs', 'fleet', 'socArrival']));
    });

    it('not even in its file: the DSO config is the zone list, without the fleet or the zones\' settings', () => {
      expect(Object.keys(setup.scenario)).not.toContain('evFleet');
      expect(setup.scenario.zones.every((z) => Object.keys(z).sort().join() === 'buses,id')).toBe(true);
    });
  });
});

describe('the DSO reads announces against its zone list', async () => {
  // IEEE-33 in two zones: the main feeder's head 1–9 with the lateral 19–22, the rest.
  const first = [...range(1, 9), ...range(19, 22)];
  const second = range(1, 33).filter((b) => !first.includes(b));
  const sim = await buildSimSetup(withZones([first, second]));
  const network = buildDsoNetwork(sim.scenario, sim.feeder);
  const announce = (k: number) => announceOf(sim.parties[k]);
  const altered = (k: number, change: (a: ZoneAnnounce) => void): ZoneAnnounce => {
    const a = structuredClone(announce(k));
    change(a);
    return a;
  };
  const foreignBus = 10; // zone 2's

  it('accepts each zone\'s own announce (its buses in any order), and builds from them the setup the harness holds', () => {
    expect(sim.parties.map((p) => p.problem.fleet.size).every((n) => n > 0)).toBe(true);
    sim.parties.forEach((_p, k) => {
      expect(refuseAnnounce(network, announce(k)), `zone ${k + 1}`).toBeNull();
      expect(refuseAnnounce(network, altered(k, (a) => { a.buses.reverse(); })), `zone ${k + 1} reversed`).toBeNull();
      expect(zoneSetupOf(network, announce(k))).toEqual(sim.zones[k]);
    });
    expect(negotiationSetup(network, sim.parties.map(announceOf).reverse())).toEqual(dsoPart(sim));
  });

  const refused: Array<[string, (a: ZoneAnnounce) => void, RegExp]> = [
    ['an unknown zone id', (a) => { a.bid.zoneId = 9; }, /^zone 9 is not in the DSO's zone list \(zones 1, 2\)$/],
    ['a bus fewer', (a) => { a.buses = a.buses.filter((b) => b !== 5); }, /^zone 1 announced buses \[1,2,3,4,6,.*\], but the DSO's zone list gives it \[1,2,3,4,5,6,/],
    ['a bus of another zone', (a) => { a.buses.push(foreignBus); }, /^zone 1 announced buses \[1,2,3,4,5,6,7,8,9,10,19,20,21,22\], but the DSO's zone list gives it \[1,2,3,4,5,6,7,8,9,19,20,21,22\]$/],
    ['another number of periods', (a) => { a.bid.grid = { periods: 48, dtH: 0.5 }; }, /^zone 1 announced 48 periods of 0\.5 h, but the DSO runs 24 periods of 1 h$/],
    ['another period length', (a) => { a.bid.grid = { periods: 24, dtH: 0.5 }; }, /^zone 1 announced 24 periods of 0\.5 h, but the DSO runs 24 periods of 1 h$/],
    ['a bus profile at a foreign bus', (a) => { a.busProfiles[0].bus = foreignBus; }, new RegExp(`^zone 1 announced flexibility at bus ${foreignBus}, which is not one of its buses$`)],
  ];

  it.each(refused)('refuses %s, naming it', (_what, change, message) => {
    expect(refuseAnnounce(network, altered(0, change))).toMatch(message);
  });

  it.each(refused)('zoneSetupOf an announce with %s is an InputError naming the zone\'s announce', (_what, change, message) => {
    const bad = altered(0, change);
    const err = (() => { try { zoneSetupOf(network, bad); return null; } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).where).toBe(`announce of zone ${bad.bid.zoneId}`);
    expect((err as InputError).message).toBe(`announce of zone ${bad.bid.zoneId}: ${refuseAnnounce(network, bad)}`);
    expect(refuseAnnounce(network, bad)).toMatch(message);
  });

  it('negotiates with the zones that announced (a silent zone is left out: its buses keep their base load, no EVs)', () => {
    expect(negotiationSetup(network, [announce(0)]).zones.map((z) => z.id)).toEqual([1]);
  });

  it('refuses a doubled or stray announce instead of dropping it', () => {
    expect(() => negotiationSetup(network, [announce(0), announce(0)])).toThrow(new InputError('zone 1 announced itself twice', 'negotiation'));
    expect(() => negotiationSetup(network, [announce(0), altered(1, (a) => { a.bid.zoneId = 9; })])).toThrow(/zone 9 is not in the DSO's zone list/);
  });

  it('refuses series over another number of periods than the DSO\'s grid (checked on the wire too)', () => {
    expect(refuseAnnounce(network, altered(0, (a) => { a.bid.baseNetLoadKw = a.bid.baseNetLoadKw.subarray(1); }))).toMatch(/^zone 1 announced baseNetLoadKw over 23 periods, not 24$/);
    expect(refuseAnnounce(network, altered(0, (a) => { a.busProfiles.push(a.busProfiles[0]); }))).toMatch(/announced a bus profile twice/);
  });
});

describe('envelopeOfGroups: the zone\'s day envelope from its groups alone (small-test zones)', async () => {
  const sim = await buildSimSetup(small);
  const grid = timeGrid(small), T = grid.periods;
  const groupings: EnvelopeGrouping[] = ['window-energy', 'window', 'arrival', 'anchor'];
  const cases = sim.parties.flatMap((p) => groupings.map((g) => [p.config.id, g] as const));

  /** The fleet's own envelope and the one its groups give, for zone `id` grouped by `grouping`. */
  const both = (id: number, grouping: EnvelopeGrouping): [AggregateEnvelope, AggregateEnvelope] => {
    const fleet = sim.parties.find((p) => p.config.id === id)!.problem.fleet;
    const own = aggregateEnvelope(fleet, grid);
    return [own, envelopeOfGroups(anchoredEnvelopeGroups(fleet, grid, grouping), grid, own.evCount)];
  };

  it('is the envelope the DSO holds of each zone, from the groups the zone announced (their grid side from its one eta)', () => {
    sim.parties.forEach((p, k) => {
      const z = sim.zones[k];
      expect(z.envelope).toEqual(envelopeOfGroups(z.bid.envelopeGroups, grid, z.evCount));
      expect(z.bid.envelopeGroups).toEqual(p.problem.envelopeGroups.map((g) => ({ envelope: announcedEnvelope(g.envelope, p.problem.eta), shiftPeriods: g.shiftPeriods })));
      z.bid.envelopeGroups.forEach((g, j) => {
        const own = p.problem.envelopeGroups[j].envelope;
        for (const field of POWER_FIELDS) own[field].forEach((v, t) => expect(near(g.envelope[field][t], v), `zone ${z.id} group ${j} ${field}[${t}]`).toBe(true));
      });
    });
  });

  it.each(cases)('zone %i, %s groups: power limits per day period equal the fleet\'s', (id, grouping) => {
    const [own, fromGroups] = both(id, grouping);
    for (const field of POWER_FIELDS) {
      own[field].forEach((v, t) => expect(near(fromGroups[field][t], v), `${field}[${t}]: groups ${fromGroups[field][t]}, fleet ${v}`).toBe(true));
    }
  });

  it.each(cases)('zone %i, %s groups: day energy equals the fleet\'s, energy since 00:00 bounded from outside', (id, grouping) => {
    const [own, fromGroups] = both(id, grouping);
    expect([fromGroups.eMinKwh[0], fromGroups.eMaxKwh[0]]).toEqual([0, 0]);
    expect(near(fromGroups.eMinKwh[T], own.eMinKwh[T]), `eMinKwh[T]: groups ${fromGroups.eMinKwh[T]}, fleet ${own.eMinKwh[T]}`).toBe(true);
    expect(near(fromGroups.eMaxKwh[T], own.eMaxKwh[T]), `eMaxKwh[T]: groups ${fromGroups.eMaxKwh[T]}, fleet ${own.eMaxKwh[T]}`).toBe(true);
    for (let t = 1; t < T; t++) {
      expect(fromGroups.eMinKwh[t], `eMinKwh[${t}]`).toBeLessThanOrEqual(own.eMinKwh[t] + 1e-9 * (1 + Math.abs(own.eMinKwh[t])));
      expect(fromGroups.eMaxKwh[t], `eMaxKwh[${t}]`).toBeGreaterThanOrEqual(own.eMaxKwh[t] - 1e-9 * (1 + Math.abs(own.eMaxKwh[t])));
    }
  });
});

describe('explicit zones (zones.buses in the scenario)', () => {
  // IEEE-33: the main feeder 1–18, laterals 2–19…22, 3–23…25, 6–26…33 (tie switches open).
  const head = [25, 24, 23, 1, 2, 3, 4, 5, 19, 20, 21, 22];
  const main = range(6, 18);
  const tail = range(26, 33);

  it('are used as given: no partition, zone k+1 is the k-th list (sorted), tie lines found by hand', async () => {
    const setup = await buildSimSetup(withZones([head, main, tail]));
    expect(setup.partition).toBeNull();
    expect(setup.zones.map((z) => [z.id, z.buses])).toEqual([[1, [...head].sort((a, b) => a - b)], [2, main], [3, tail]]);
    expect(setup.parties.map((p) => [p.config.id, p.config.buses])).toEqual(setup.zones.map((z) => [z.id, z.buses]));
    // The open tie switches 21-8, 9-15, 12-22, 18-33 and 25-29 are not tie lines.
    expect(setup.tieLines).toEqual([
      { from: 5, to: 6, fromZone: 1, toZone: 2 },
      { from: 6, to: 26, fromZone: 2, toZone: 3 },
    ]);
    expect(setup.parties.reduce((a, p) => a + p.problem.fleet.size, 0)).toBe(small.evFleet.count);
  });

  const bad: Array<[string, number[][], RegExp, RegExp]> = [
    ['a bus in two zones', [head, [...main, 5], tail], /^zones\.buses\[1\]$/, /bus 5 is in zone 1 and zone 2/],
    ['a bus in no zone', [head, main.filter((b) => b !== 12), tail], /^zones\.buses$/, /bus\(es\) 12 belong to no zone/],
    ['a bus the feeder does not have', [head, main, [...tail, 34]], /^zones\.buses\[2\]$/, /bus 34 is not in feeder "ieee33"/],
  ];
  it.each(bad)('%s is an InputError naming zones.buses', async (_what, buses, where, message) => {
    const err = await buildSimSetup(withZones(buses)).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).where).toMatch(where);
    expect((err as InputError).message).toMatch(message);
  });
});
