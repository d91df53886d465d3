import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRng } from '@zonal/core';
import { inProcessZoneClients, loadZoneParty, negotiate, simSetupOf, splitScenario, zonePartyOf, type ZoneParty } from '@zonal/coordination';
import { checkSchedules, Fleet, sampleSeed002Fleet } from '@zonal/ev';
import {
  caseZoneOf, defaultCasePath, getPolicy, placeCaseZone, policyNames, writeCaseZone, type ZoneAnswer, type ZonePolicy,
} from '@zonal/policies';
import { loadScenario, parseWithSchema, readJsonFile } from '@zonal/scenario';
import { shutdownSolver } from '@zonal/solver';

/**
 * Each policy's standalone case is also a zone (`zonal policy <name> --zone-file`): the zone file it
 * writes loads as a zone agent loads it, and a case zone takes part in a negotiation in place of one
 * of `small-test`'s zones, answering with per-EV schedules for the case's own EVs and its storage.
 */
afterAll(() => shutdownSolver());

const shippedCase = (policy: ZonePolicy<unknown>) => {
  const path = defaultCasePath(policy.name)!;
  return parseWithSchema(policy.caseSchema, readJsonFile(path), path);
};

const withCaseZone = policyNames().filter((name) => getPolicy(name).caseZone !== undefined);

describe('each policy\'s shipped case as a zone file', () => {
  it('every policy can write its case as a zone', () => {
    expect(withCaseZone).toEqual(policyNames());
  });

  it.each(withCaseZone)('%s: the zone file and its sessions CSV load back with loadZoneParty', (name) => {
    const policy = getPolicy(name);
    const cz = caseZoneOf(policy, shippedCase(policy));
    const buses = [9, 10, 11, 12];
    const placed = placeCaseZone(policy, cz, { id: 3, buses, periods: 24 });
    const dir = mkdtempSync(join(tmpdir(), `zonal-case-zone-${name}-`));
    const files = writeCaseZone(join(dir, 'zone-3.json'), placed);
    expect(files.sessionsFile).toBe(join(dir, 'zone-3-sessions.csv'));
    expect(JSON.parse(readFileSync(files.zoneFile, 'utf8')).sessions).toBe('zone-3-sessions.csv');

    const party = loadZoneParty(files.zoneFile);
    expect(party.policy.name).toBe(name);
    expect([party.config.id, party.config.buses, party.config.time]).toEqual([3, buses, { periods: 24, dtH: 1 }]);
    expect(party.problem.baseNetLoadKw).toHaveLength(24);
    // Every session of the case, on the zone's buses round-robin.
    const fleet = party.problem.fleet;
    expect(fleet.size, 'sessions in the zone file').toBe(cz.sessions.length);
    expect(Array.from(fleet.id)).toEqual(cz.sessions.map((ev) => ev.id));
    for (let i = 0; i < fleet.size; i++) expect(fleet.bus[i], `EV ${fleet.id[i]}'s bus`).toBe(buses[i % buses.length]);
    expect(party.problem.envelope.evCount, 'EVs the zone schedules').toBeGreaterThan(0);
    expect(cz.notes.length, 'what the mapping changed is said').toBeGreaterThan(0);
  });
});

describe('the multi-objective case as zone 3 of small-test, negotiated in process', async () => {
  const small = loadScenario('small-test');
  const split = await splitScenario(small);
  // small-test's 2 s zone timeout is for kill tests; the case zone's first answer also builds its payoff
  // table (several LPs), which a loaded 2-core CI machine can take longer than that to solve.
  const dso = { ...split.dso, negotiation: { ...split.dso.negotiation, maxRounds: 2, zoneTimeoutMs: 120_000 } };
  const policy = getPolicy('multi-objective');
  const c = shippedCase(policy) as { seed: number; fleet: Parameters<typeof sampleSeed002Fleet>[0] };
  const zone3 = split.zones.find((z) => z.config.id === 3)!;
  const placed = placeCaseZone(policy, caseZoneOf(policy, c), { id: 3, buses: zone3.config.buses, periods: small.time.periods });

  // Zone 3's answers, per-EV schedules included (they stay in the zone: the DSO sees the report only).
  const answers: ZoneAnswer[] = [];
  const recorded = (party: ZoneParty): ZoneParty => ({
    ...party,
    policy: { ...party.policy, respond: async (zone, signal, ctx) => { const a = await party.policy.respond(zone, signal, ctx); answers.push(a); return a; } },
  });
  const parties = split.zones.map((z) => (z.config.id === 3 ? recorded(zonePartyOf(placed.config, placed.sessions)) : zonePartyOf(z.config, z.sessions)));
  const sim = simSetupOf(dso, parties);
  const result = await negotiate(sim, inProcessZoneClients(sim));
  const k3 = sim.zones.findIndex((z) => z.id === 3);
  const party3 = sim.parties[k3];

  it('zone 3 holds the case\'s EVs (drawn from its seed as runCase draws them) and its BESS', () => {
    const caseFleet = Fleet.toSpecs(sampleSeed002Fleet(c.fleet, createRng(c.seed)));
    const zoneFleet = Fleet.toSpecs(party3.problem.fleet);
    expect(zoneFleet.map((ev) => ev.id)).toEqual(caseFleet.map((ev) => ev.id));
    zoneFleet.forEach((ev, i) => expect({ ...ev, bus: undefined }, `EV ${ev.id}`).toEqual({ ...caseFleet[i], bus: undefined }));
    expect(party3.problem.resources?.storage.map((s) => s.id)).toEqual(['bess']);
    expect(sim.zones[k3].buses).toEqual(zone3.config.buses);
  });

  it('answers every round with per-EV schedules for the case\'s EVs, every EV feasible, and dispatches its storage', () => {
    expect(result.rounds).toHaveLength(2);
    expect(result.incidents, 'no zone timed out or failed').toEqual([]);
    expect(answers.length).toBe(result.rounds.length);
    const fleet = party3.problem.fleet, grid = party3.problem.grid;
    for (const a of answers) {
      const check = checkSchedules(fleet, grid, a.schedules);
      expect(check.violations, 'independent feasibility check of zone 3\'s per-EV schedules').toEqual([]);
      expect(check.scheduledEvs + check.leftOutEvs).toBe(fleet.size);
      expect(a.delivery).toMatchObject({ evs: fleet.size, evsScheduled: check.scheduledEvs, evsFeasible: check.scheduledEvs, evsLeftOut: party3.excluded.length });
      expect(a.storageKw, 'the BESS\'s grid-side power').toHaveLength(grid.periods);
    }
    expect(Math.max(...answers.at(-1)!.storageKw!.map(Math.abs)), 'the BESS is dispatched (kW)').toBeGreaterThan(1);
    // What the DSO got of zone 3: the report (figures and aggregates, its storage included), no EV.
    const report = result.answers[k3]!;
    expect(report).not.toHaveProperty('schedules');
    expect(Array.from(report.storageKw!)).toEqual(Array.from(answers.at(-1)!.storageKw!));
    expect(report.delivery.evsFeasible).toBe(report.delivery.evsScheduled);
  });
});
