import { dirname, isAbsolute, join } from 'node:path';
import { InputError } from '@zonal/core';
import {
  aggregateEnvelope, anchoredEnvelopeGroups, Fleet, parseSessionsJson, readAcnSessionsFile, readSessionsFile, uncoordinatedProfile,
  type AggregateEnvelope, type EvProblem, type EvSpec, type TimeGrid,
} from '@zonal/ev';
import { getPolicy, type EnvelopeGroup, type ZonePolicy, type ZoneProblem } from '@zonal/policies';
import { parseWithSchema, readJsonFile, tariffAtPeriods, timeGrid, zoneFileSchema, type ZoneConfig } from '@zonal/scenario';
import type { ZoneAnnounce } from './setup';

/**
 * One zone aggregator as a party (SPEC §8 step 0): its own file, its own EVs, its policy. Everything
 * here stays in the zone; `announceOf` is the only thing it tells the DSO before the rounds.
 */
export interface ZoneParty {
  config: ZoneConfig;
  /** What the zone's policy schedules: its bid and the private data behind it. */
  problem: ZoneProblem;
  policy: ZonePolicy<unknown>;
  /** EVs the zone leaves out of every schedule (short stay, unreachable target), with why. */
  excluded: EvProblem[];
  /** Where the zone came from, for messages. */
  source: string;
}

/**
 * A zone from its file; a sessions file (Zonal's columns, or ACN-Data) is read relative to the zone
 * file. Errors name file, row and field.
 */
export function loadZoneParty(path: string): ZoneParty {
  const config = parseWithSchema(zoneFileSchema, readJsonFile(path), path);
  const beside = (file: string) => (isAbsolute(file) ? file : join(dirname(path), file));
  const sessions = config.sessions;
  let specs: EvSpec[];
  if (typeof sessions === 'string') specs = readSessionsFile(beside(sessions), config.sessionDefaults);
  else if (Array.isArray(sessions)) specs = parseSessionsJson(sessions, `${path} sessions`, config.sessionDefaults);
  else {
    const { format: _format, file, ...options } = sessions;
    specs = readAcnSessionsFile(beside(file), options, config.sessionDefaults);
  }
  return zonePartyOf(config, specs, path);
}

/** A zone from a parsed zone file and its sessions. */
export function zonePartyOf(config: ZoneConfig, specs: readonly EvSpec[], source = `zone ${config.id}`): ZoneParty {
  const policy = getPolicy(config.policy.name, `${source}: policy.name`);
  const params = policy.paramsSchema && config.policy.params !== undefined
    ? parseWithSchema(policy.paramsSchema, config.policy.params, `${source}: policy.params`)
    : config.policy.params;
  if (!policy.paramsSchema && config.policy.params !== undefined) {
    throw new InputError(`policy "${policy.name}" takes no parameters`, `${source}: policy.params`);
  }
  const buses = new Set(config.buses);
  const stray = specs.find((ev) => ev.bus === undefined || !buses.has(ev.bus));
  if (stray) throw new InputError(`EV ${stray.id} is at bus ${stray.bus ?? '(none)'}, which is not one of the zone's buses (${config.buses.join(', ')})`, source);
  const fleet = Fleet.fromSpecs(specs);
  const eta = oneEfficiency(fleet, source);
  const grid = timeGrid(config);
  const blocks = tariffAtPeriods(config.tariff.blocks, grid);
  const envelope = aggregateEnvelope(fleet, grid);
  const problem: ZoneProblem = {
    zoneId: config.id, grid, eta, envelope,
    envelopeGroups: anchoredEnvelopeGroups(fleet, grid, config.envelopeGrouping),
    baseNetLoadKw: Float64Array.from(config.baseNetLoadKw),
    degradationYuanPerKwh: config.degradationYuanPerKwh,
    peakTieBreakYuanPerKw: config.peakTieBreakYuanPerKw,
    fleet,
    tariffYuanPerKwh: Float64Array.from(blocks, (b) => b.priceYuanPerKwh),
    tariffCodes: blocks.map((b) => b.code),
    params,
    ...(config.storage?.length ? { resources: { storage: config.storage } } : {}),
  };
  return { config, problem, policy, excluded: envelope.excluded, source };
}

/**
 * The zone's announce (SPEC §8 step 1): its envelope groups, its base net load, its declared marginal
 * costs, and per bus the spread of its flexibility and its charge-on-arrival load — aggregates only.
 */
export function announceOf(party: ZoneParty): ZoneAnnounce {
  const { problem: p, config } = party;
  const unco = uncoordinatedProfile(p.fleet, p.grid);
  const flexByBus = new Map<number, Float64Array>();
  for (const bus of config.buses) {
    const members = Array.from({ length: p.fleet.size }, (_, i) => i).filter((i) => p.fleet.bus[i] === bus);
    if (members.length === 0) continue;
    const env = aggregateEnvelope(Fleet.subset(p.fleet, members), p.grid);
    flexByBus.set(bus, env.pChargeMaxGridKw.map((c, t) => c + env.pDischargeMaxGridKw[t]));
  }
  const T = p.grid.periods;
  // The groups' envelopes without their EVs (indices, and the messages of EVs left out).
  const envelopeGroups = p.envelopeGroups.map(({ envelope, shiftPeriods }) => ({ envelope: announcedEnvelope(envelope, p.eta), shiftPeriods }));
  return {
    bid: {
      zoneId: p.zoneId, grid: p.grid, eta: p.eta, baseNetLoadKw: p.baseNetLoadKw,
      degradationYuanPerKwh: p.degradationYuanPerKwh, peakTieBreakYuanPerKw: p.peakTieBreakYuanPerKw,
      envelopeGroups, envelope: envelopeOfGroups(envelopeGroups, p.grid, p.envelope.evCount),
    },
    buses: [...config.buses].sort((a, b) => a - b),
    policy: party.policy.name,
    busProfiles: [...flexByBus.keys()].sort((a, b) => a - b).map((bus) => ({
      bus, flexKw: flexByBus.get(bus)!, uncoordinatedKw: unco.gridKwByBus.get(bus) ?? new Float64Array(T),
    })),
    evCount: p.envelope.evCount,
    evsLeftOut: party.excluded.length,
  };
}

/**
 * The zone models its fleet with one charging efficiency (envelope-model.ts: grid = battery / eta),
 * so its EVs must share one; a fleet that mixes them is refused, naming two EVs that differ.
 */
function oneEfficiency(fleet: Fleet, source: string): number {
  if (fleet.size === 0) return 1;
  const eta = fleet.eta[0];
  for (let i = 1; i < fleet.size; i++) {
    if (Math.abs(fleet.eta[i] - eta) > 1e-12) {
      throw new InputError(`EV ${fleet.id[0]} has eta ${eta} and EV ${fleet.id[i]} has ${fleet.eta[i]}: one zone's EVs must share one efficiency (split them into zones, or set sessionDefaults.eta)`, source);
    }
  }
  return eta;
}

/**
 * A group's envelope as announced: its battery-side bounds, with the grid-side limits the DSO derives
 * from them and the zone's one eta, and no EV (the wire's reading, libs/agents wire.ts, gives the same).
 */
export function announcedEnvelope(e: AggregateEnvelope, eta: number): AggregateEnvelope {
  return {
    pMinKw: e.pMinKw, pMaxKw: e.pMaxKw, eMinKwh: e.eMinKwh, eMaxKwh: e.eMaxKwh, evCount: e.evCount, excluded: [],
    pChargeMaxGridKw: e.pMaxKw.map((p) => Math.max(0, p) / eta), pDischargeMaxGridKw: e.pMinKw.map((p) => Math.max(0, -p) * eta),
  };
}

/**
 * The zone's envelope on the day (anchored at 00:00) as the DSO can know it from the groups alone:
 * power limits summed per day period exactly; energy gained since 00:00 bounded by differences of
 * each group's bounds (an outer bound, exact over the whole day). The DSO's model uses the groups;
 * this serves the flexible load's power bounds and reports.
 */
export function envelopeOfGroups(groups: readonly EnvelopeGroup[], grid: TimeGrid, evCount: number): AggregateEnvelope {
  const T = grid.periods;
  const env: AggregateEnvelope = {
    pMinKw: new Float64Array(T), pMaxKw: new Float64Array(T), pChargeMaxGridKw: new Float64Array(T), pDischargeMaxGridKw: new Float64Array(T),
    eMinKwh: new Float64Array(T + 1), eMaxKwh: new Float64Array(T + 1), evCount, excluded: [],
  };
  for (const { envelope: e, shiftPeriods: s } of groups) {
    for (let tau = 0; tau < T; tau++) {
      const t = (tau + s) % T;
      env.pMinKw[t] += e.pMinKw[tau];
      env.pMaxKw[t] += e.pMaxKw[tau];
      env.pChargeMaxGridKw[t] += e.pChargeMaxGridKw[tau];
      env.pDischargeMaxGridKw[t] += e.pDischargeMaxGridKw[tau];
    }
    // Day boundary k is the group's boundary tau0 + k, past its own day's end after T − tau0.
    const tau0 = (T - s) % T;
    for (let k = 1; k < T; k++) {
      const tau = tau0 + k;
      const [lo, hi] = tau <= T
        ? [e.eMinKwh[tau] - e.eMaxKwh[tau0], e.eMaxKwh[tau] - e.eMinKwh[tau0]]
        : [e.eMinKwh[T] - e.eMaxKwh[tau0] + e.eMinKwh[tau - T], e.eMaxKwh[T] - e.eMinKwh[tau0] + e.eMaxKwh[tau - T]];
      env.eMinKwh[k] += lo;
      env.eMaxKwh[k] += hi;
    }
    env.eMinKwh[T] += e.eMinKwh[T];
    env.eMaxKwh[T] += e.eMaxKwh[T];
  }
  return env;
}
