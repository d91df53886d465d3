/**
 * Table checks of a feeder (ranges and foreign keys, STYLE.md lesson 1). Every failure is an
 * InputError whose `where` names the bus or branch, or its file line when a loader passes a locator.
 */
import { InputError } from '@zonal/core';
import type { Feeder } from './types';

/** Says where a table row came from: "bus 7" by default, "case69.m:52" from a file loader. */
export interface RowLocator {
  bus(pos: number): string;
  branch(index: number): string;
  der(index: number): string;
}

/** A slack voltage set-point outside this band is a typo, not a feeder. */
const SLACK_VM_RANGE_PU = [0.5, 1.5] as const;
/** Relative tolerance for buses sharing the feeder's base voltage. */
const BASE_KV_REL_TOL = 1e-9;

export function tableLocator(feeder: Feeder): RowLocator {
  return {
    bus: (pos) => `bus ${feeder.buses[pos].id}`,
    branch: (k) => `branch ${k + 1} (${feeder.branches[k].from}-${feeder.branches[k].to})`,
    der: (k) => `DER ${k + 1} at bus ${feeder.ders?.[k].bus}`,
  };
}

function requireFinite(value: number, field: string, where: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InputError(`${field} must be a finite number, got ${String(value)}`, where);
  }
}

/** Checks every table and returns the bus id → position map. */
export function checkFeederTables(feeder: Feeder, locate: RowLocator = tableLocator(feeder)): Map<number, number> {
  const name = feeder.name || 'feeder';
  requireFinite(feeder.baseMva, 'baseMVA', name);
  if (feeder.baseMva <= 0) throw new InputError(`baseMVA must be > 0, got ${feeder.baseMva}`, name);
  requireFinite(feeder.baseKv, 'baseKV', name);
  if (feeder.baseKv <= 0) {
    throw new InputError(`base voltage must be > 0 kV, got ${feeder.baseKv}`, name, 'set baseKV on the slack bus; it is needed to express impedances in ohms');
  }
  if (feeder.buses.length === 0) throw new InputError('the feeder has no buses', name);

  const posOfId = new Map<number, number>();
  let slackPos = -1;
  feeder.buses.forEach((bus, pos) => {
    const where = locate.bus(pos);
    if (!Number.isInteger(bus.id) || bus.id <= 0) throw new InputError(`bus id must be a positive integer, got ${bus.id}`, where);
    const seen = posOfId.get(bus.id);
    if (seen !== undefined) throw new InputError(`duplicate bus id ${bus.id} (first at ${locate.bus(seen)})`, where);
    posOfId.set(bus.id, pos);
    requireFinite(bus.pdKw, 'Pd', where);
    requireFinite(bus.qdKvar, 'Qd', where);
    requireFinite(bus.baseKv, 'baseKV', where);
    if (Math.abs(bus.baseKv - feeder.baseKv) > BASE_KV_REL_TOL * feeder.baseKv) {
      throw new InputError(
        `bus ${bus.id} has baseKV ${bus.baseKv}, the feeder ${feeder.baseKv}`,
        where,
        'only single-voltage feeders are supported (no transformers)',
      );
    }
    if (bus.isSlack) {
      if (slackPos >= 0) throw new InputError(`more than one slack bus (${feeder.buses[slackPos].id} and ${bus.id})`, where);
      slackPos = pos;
      requireFinite(bus.vmSetPu, 'slack voltage set-point', where);
      const [lo, hi] = SLACK_VM_RANGE_PU;
      if (bus.vmSetPu < lo || bus.vmSetPu > hi) {
        throw new InputError(`slack voltage set-point ${bus.vmSetPu} pu is outside [${lo}, ${hi}] pu`, where);
      }
    }
  });
  if (slackPos < 0) throw new InputError('no slack bus (MATPOWER bus type 3)', name);

  feeder.branches.forEach((br, k) => {
    const where = locate.branch(k);
    for (const end of [br.from, br.to]) {
      if (!posOfId.has(end)) throw new InputError(`branch ${br.from}-${br.to} connects to bus ${end}, which does not exist`, where);
    }
    if (br.from === br.to) throw new InputError(`branch connects bus ${br.from} to itself`, where);
    requireFinite(br.rOhm, 'resistance', where);
    requireFinite(br.xOhm, 'reactance', where);
    if (br.rOhm < 0) throw new InputError(`negative resistance ${br.rOhm} ohm on branch ${br.from}-${br.to}`, where);
  });

  (feeder.ders ?? []).forEach((der, k) => {
    const where = locate.der(k);
    if (!posOfId.has(der.bus)) throw new InputError(`DER at bus ${der.bus}, which does not exist`, where);
    requireFinite(der.pGenKw, 'DER P', where);
    requireFinite(der.qGenKvar, 'DER Q', where);
  });
  return posOfId;
}
