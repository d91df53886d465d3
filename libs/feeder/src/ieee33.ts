/**
 * The built-in IEEE 33-bus feeder (Baran & Wu 1989; MATPOWER case33bw), SPEC §3, read from the copy
 * in libs/feeder/data so nothing outside the repository is read at run time.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { InputError } from '@zonal/core';
import type { Branch, Feeder } from './types';
import { validateFeeder } from './radial';

const IEEE33_PATH = new URL('../data/ieee33.json', import.meta.url);

const branchRow = z.object({ from: z.number().int(), to: z.number().int(), r_ohm: z.number(), x_ohm: z.number() });
const ieee33Schema = z.object({
  name: z.string(),
  baseKV: z.number().positive(),
  baseMVA: z.number().positive(),
  buses: z.array(z.object({ id: z.number().int(), pd_kW: z.number(), qd_kvar: z.number() })).min(1),
  branches: z.array(branchRow),
  tieLines: z.array(branchRow),
});

/** The file's notes: bus 1 is the substation at 1.0 pu. */
const SLACK_ID = 1;
const SLACK_VM_PU = 1.0;

export function loadIeee33(): Feeder {
  const parsed = ieee33Schema.safeParse(JSON.parse(readFileSync(IEEE33_PATH, 'utf8')));
  if (!parsed.success) throw new InputError(parsed.error.message, IEEE33_PATH.pathname);
  const data = parsed.data;
  const toBranch = (inService: boolean) => (b: z.infer<typeof branchRow>): Branch => ({
    from: b.from, to: b.to, rOhm: b.r_ohm, xOhm: b.x_ohm, inService,
  });
  const ties = data.tieLines.map(toBranch(false));
  const feeder: Feeder = {
    name: 'ieee33',
    baseMva: data.baseMVA,
    baseKv: data.baseKV,
    buses: data.buses.map((b) => ({
      id: b.id, baseKv: data.baseKV, pdKw: b.pd_kW, qdKvar: b.qd_kvar, isSlack: b.id === SLACK_ID, vmSetPu: SLACK_VM_PU,
    })),
    branches: [...data.branches.map(toBranch(true)), ...ties],
    tieLines: ties,
  };
  validateFeeder(feeder);
  return feeder;
}
