import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '@zonal/core';
import { aggregateEnvelope } from '@zonal/ev';
import { loadScenario, parseScenario, timeGrid, type Scenario } from '@zonal/scenario';
import { shutdownSolver } from '@zonal/solver';
import { buildNegotiationSetup, type NegotiationSetup } from './setup';

afterAll(() => shutdownSolver());

const small = loadScenario('small-test');
const withZones = (buses: number[][]): Scenario => parseScenario({ ...structuredClone(small), zones: { ...small.zones, buses } });
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

/** Everything a zone process derives from the scenario, as plain data (for equality across builds). */
const zoneFacts = (s: NegotiationSetup) => ({
  zones: s.zones.map((z) => ({
    id: z.id, buses: z.buses, evIds: z.fleet.id, evCount: z.envelope.evCount,
    envelope: [z.envelope.pMinKw, z.envelope.pMaxKw, z.envelope.pChargeMaxGridKw, z.envelope.pDischargeMaxGridKw, z.envelope.eMinKwh, z.envelope.eMaxKwh].map((a) => Array.from(a)),
    baseNetLoadKw: Array.from(z.problem.baseNetLoadKw),
    busShares: z.flexible.busShares.map((b) => [b.busPos, Array.from(b.share)]),
  })),
  tieLines: s.tieLines,
  excludedEvs: s.excludedEvs,
});

describe('zones from the computed partition (small-test scenario)', async () => {
  const setup = await buildNegotiationSetup(small);
  const T = small.time.periods;

  it('uses the partition\'s zones and tie lines, every bus in exactly one zone', () => {
    expect(setup.partition).not.toBeNull();
    const p = setup.partition!;
    expect(setup.zones.map((z) => [z.id, z.buses])).toEqual(p.zones.map((z) => [z.id, z.buses]));
    expect(setup.zones.flatMap((z) => z.buses).sort((a, b) => a - b)).toEqual(range(1, 33));
    const key = (t: { from: number; to: number; fromZone: number; toZone: number }) => `${Math.min(t.from, t.to)}-${Math.max(t.from, t.to)}:${[t.fromZone, t.toZone].sort().join('/')}`;
    expect(setup.tieLines.map(key).sort()).toEqual(p.tieLines.map(key).sort());
  });

  it('gives each zone exactly the EVs parked at its buses, and the zones\' envelopes sum to the whole fleet\'s', () => {
    const zoneOfBus = new Map(setup.zones.flatMap((z) => z.buses.map((b) => [b, z.id] as const)));
    const ids = setup.zones.flatMap((z) => {
      for (let i = 0; i < z.fleet.size; i++) expect(zoneOfBus.get(z.fleet.bus[i]), `EV ${z.fleet.id[i]}`).toBe(z.id);
      return z.fleet.id;
    });
    expect([...ids].sort()).toEqual([...setup.fleet.id].sort());
    expect(setup.fleet.size).toBe(small.evFleet.count);

    // The envelope is a sum over EVs, so summing the zones' must give the whole fleet's (a bug in
    // zone membership would lose or double some EV).
    const whole = aggregateEnvelope(setup.fleet, timeGrid(small));
    expect(setup.zones.reduce((a, z) => a + z.envelope.evCount, 0)).toBe(whole.evCount);
    expect(setup.excludedEvs).toHaveLength(whole.excluded.length);
    for (const field of ['pMinKw', 'pMaxKw', 'pChargeMaxGridKw', 'pDischargeMaxGridKw', 'eMinKwh', 'eMaxKwh'] as const) {
      whole[field].forEach((v, t) => {
        const sum = setup.zones.reduce((a, z) => a + z.envelope[field][t], 0);
        expect(Math.abs(sum - v), `${field}[${t}]`).toBeLessThan(1e-9 * Math.max(1, Math.abs(v)));
      });
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
      const zonesKw = setup.zones.reduce((a, z) => a + z.problem.baseNetLoadKw[t], 0);
      expect(Math.abs(zonesKw - feederKw), `period ${t}`).toBeLessThan(1e-9 * Math.abs(feederKw));
    }
  });

  it('is deterministic: a second build from the same scenario gives the same zones, fleets and envelopes', async () => {
    const again = await buildNegotiationSetup(loadScenario('small-test'));
    expect(zoneFacts(again)).toEqual(zoneFacts(setup));
    expect(again.partition!.chosen).toEqual(setup.partition!.chosen);
  });
});

describe('explicit zones (zones.buses in the scenario)', () => {
  // IEEE-33: the main feeder 1–18, laterals 2–19…22, 3–23…25, 6–26…33 (tie switches open).
  const head = [25, 24, 23, 1, 2, 3, 4, 5, 19, 20, 21, 22];
  const main = range(6, 18);
  const tail = range(26, 33);

  it('are used as given: no partition, zone k+1 is the k-th list (sorted), tie lines found by hand', async () => {
    const setup = await buildNegotiationSetup(withZones([head, main, tail]));
    expect(setup.partition).toBeNull();
    expect(setup.zones.map((z) => [z.id, z.buses])).toEqual([[1, [...head].sort((a, b) => a - b)], [2, main], [3, tail]]);
    // The open tie switches 21-8, 9-15, 12-22, 18-33 and 25-29 are not tie lines.
    expect(setup.tieLines).toEqual([
      { from: 5, to: 6, fromZone: 1, toZone: 2 },
      { from: 6, to: 26, fromZone: 2, toZone: 3 },
    ]);
    expect(setup.zones.reduce((a, z) => a + z.fleet.size, 0)).toBe(small.evFleet.count);
  });

  const bad: Array<[string, number[][], RegExp, RegExp]> = [
    ['a bus in two zones', [head, [...main, 5], tail], /^zones\.buses\[1\]$/, /bus 5 is in zone 1 and zone 2/],
    ['a bus in no zone', [head, main.filter((b) => b !== 12), tail], /^zones\.buses$/, /bus\(es\) 12 belong to no zone/],
    ['a bus the feeder does not have', [head, main, [...tail, 34]], /^zones\.buses\[2\]$/, /bus 34 is not in feeder "ieee33"/],
  ];
  it.each(bad)('%s is an InputError naming zones.buses', async (_what, buses, where, message) => {
    const err = await buildNegotiationSetup(withZones(buses)).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).where).toMatch(where);
    expect((err as InputError).message).toMatch(message);
  });
});
