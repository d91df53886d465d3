/**
 * Input checks of the partitioner: every failure is an InputError naming the field, the bus or the
 * period (SPEC §9), never a NaN in the indices.
 */
import { InputError } from '@zonal/core';
import type { RadialNetwork } from '@zonal/feeder';
import type { PartitionInputs, PartitionParams } from './types';

const UINT32_MAX = 0xffffffff;

export function checkParams(params: PartitionParams, where = 'partition'): void {
  const finiteAtLeast = (v: number, min: number, field: string, strict = false) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || (strict ? v <= min : v < min)) {
      throw new InputError(`must be a finite number ${strict ? '>' : '>='} ${min}, got ${String(v)}`, `${where}.${field}`);
    }
  };
  if (!Array.isArray(params.resolutions) || params.resolutions.length === 0) {
    throw new InputError('needs at least one Louvain resolution', `${where}.resolutions`);
  }
  params.resolutions.forEach((r, i) => finiteAtLeast(r, 0, `resolutions[${i}]`, true));
  if (!Array.isArray(params.rngSeeds) || params.rngSeeds.length === 0) {
    throw new InputError('needs at least one seed', `${where}.rngSeeds`);
  }
  params.rngSeeds.forEach((s, i) => {
    if (!Number.isInteger(s) || s < 0 || s > UINT32_MAX) {
      throw new InputError(`must be an integer in [0, ${UINT32_MAX}], got ${String(s)}`, `${where}.rngSeeds[${i}]`);
    }
  });
  finiteAtLeast(params.weights?.modularity, 0, 'weights.modularity');
  finiteAtLeast(params.weights?.flexibility, 0, 'weights.flexibility');
  finiteAtLeast(params.weights?.balance, 0, 'weights.balance');
  const size = params.sizePenalty;
  for (const field of ['minBuses', 'maxBuses'] as const) {
    if (!Number.isInteger(size?.[field]) || size[field] < 1) {
      throw new InputError(`must be an integer >= 1, got ${String(size?.[field])}`, `${where}.sizePenalty.${field}`);
    }
  }
  if (size.minBuses > size.maxBuses) {
    throw new InputError(`(${size.minBuses}) must not exceed maxBuses (${size.maxBuses})`, `${where}.sizePenalty.minBuses`);
  }
  finiteAtLeast(size.perZone, 0, 'sizePenalty.perZone');
  finiteAtLeast(params.wA, 0, 'wA');
  finiteAtLeast(params.wE, 0, 'wE');
  finiteAtLeast(params.gamma, 0, 'gamma', true);
}

/** A feeder of two buses at least: one is nothing to partition. */
export function checkFeeder(net: RadialNetwork): void {
  if (net.nBus < 2) {
    throw new InputError(`the feeder has ${net.nBus} bus: nothing to partition`, net.feeder.name || 'feeder');
  }
}

/** Both tables must have one row per bus position, all of one length T >= 1, with finite values. */
export function checkInputs(inp: PartitionInputs): number {
  const { net } = inp;
  checkFeeder(net);
  const T = inp.flexKw?.[0]?.length ?? 0;
  if (T < 1) throw new InputError('needs at least one period per bus', 'flexKw');
  for (const [name, rows, min] of [['flexKw', inp.flexKw, 0], ['netLoadKw', inp.netLoadKw, -Infinity]] as const) {
    if (!Array.isArray(rows) || rows.length !== net.nBus) {
      throw new InputError(`has ${Array.isArray(rows) ? rows.length : 'no'} rows, the feeder ${net.nBus} buses`, name);
    }
    rows.forEach((row, p) => {
      const bus = net.feeder.buses[p].id;
      if (row?.length !== T) {
        throw new InputError(`has ${row?.length ?? 0} periods, flexKw at bus ${net.feeder.buses[0].id} has ${T}`, `${name} at bus ${bus}`);
      }
      for (let t = 0; t < T; t++) {
        const v = row[t];
        if (!Number.isFinite(v) || v < min) {
          const why = Number.isFinite(v) ? 'must be >= 0 (upper minus lower envelope power)' : 'must be a finite number';
          throw new InputError(`${why}, got ${v}`, `${name} at bus ${bus}, period ${t}`);
        }
      }
    });
  }
  return T;
}
