import { describe, expect, it } from 'vitest';
import { InputError } from '@zonal/core';
import { parseWithSchema, readJsonFile } from '@zonal/scenario';
import { defaultCasePath } from '../cases';
import { getPolicy } from '../registry';
import { caseSchema } from './case-schema';

const path = defaultCasePath('multi-objective')!;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the tests edit raw JSON, field by field
type RawCase = Record<string, any>;
const raw = () => structuredClone(readJsonFile(path)) as RawCase;

function refusal(edit: (c: RawCase) => void): string {
  const c = raw();
  edit(c);
  try {
    parseWithSchema(caseSchema, c, 'case.json');
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return (e as Error).message;
  }
  throw new Error('the case was accepted');
}

describe('multi-objective case: bad input is refused by field name', () => {
  it('accepts the shipped case, reading "7/2" as 3.5', () => {
    const c = parseWithSchema(caseSchema, raw(), path);
    expect(c.ahp.economy.judgements[0][0][1]).toBe(3.5);
    expect(c.ahp.economy.judgements[0][1][0]).toBeCloseTo(2 / 7, 15);
  });

  it('refuses an inconsistent AHP matrix (CR >= 0.1), naming the mode and expert', () => {
    const msg = refusal((c) => {
      c.ahp.response.judgements = [[[1, 3, 3], ['1/3', 1, 3], ['1/3', '1/3', 1]]];
    });
    expect(msg).toMatch(/^case\.json: ahp\.response\.judgements\[0\]: inconsistent judgements: consistency ratio CR = CI\/RI = 0\.11\d\d is not below 0\.1/);
    expect(msg).toMatch(/CI < 0\.1, would have accepted it/);
  });

  it('names the entry that is not a reciprocal, off Saaty\'s scale, or not a number', () => {
    expect(refusal((c) => { c.ahp.economy.judgements[0][1][0] = 0.5; })).toMatch(/ahp\.economy\.judgements\[0\]\[1\]\[0\]: must be the reciprocal of entry \[0\]\[1\] = 3\.5/);
    expect(refusal((c) => { c.ahp.economy.judgements[0][0][2] = 12; })).toMatch(/ahp\.economy\.judgements\[0\]\[0\]\[2\]: must be on Saaty's scale/);
    expect(refusal((c) => { c.ahp.economy.judgements[0][0][2] = 'seven'; })).toMatch(/ahp\.economy\.judgements\[0\]\[0\]\[2\]: must be a number or a fraction such as "7\/2"/);
    expect(refusal((c) => { c.ahp.economy.judgements[0].pop(); })).toMatch(/ahp\.economy\.judgements\[0\]: must be 3 × 3/);
    expect(refusal((c) => { c.ahp.economy.judgements = []; })).toMatch(/ahp\.economy\.judgements/);
  });

  it('refuses bad physical data by field', () => {
    expect(refusal((c) => { c.bess.socStart = 0.95; })).toMatch(/bess\.socStart: \(0\.95\) must lie in \[socMin, socMax\] = \[0\.1, 0\.9\]/);
    expect(refusal((c) => { c.fleet.socTarget = 1.2; })).toMatch(/fleet\.socTarget/);
    expect(refusal((c) => { c.fleet.count = 0; })).toMatch(/fleet\.count/);
    expect(refusal((c) => { c.bess.eta = 0; })).toMatch(/bess\.eta/);
    expect(refusal((c) => { c.variance.form = 'cubic'; })).toMatch(/variance\.form/);
    expect(refusal((c) => { c.pareto.weightStep = 0.3; })).toMatch(/pareto\.weightStep: must divide 1/);
    expect(refusal((c) => { c.tariff.pop(); })).toMatch(/tariff: hour 22\.00 is not priced by any block/);
    expect(refusal((c) => { c.buildingLoadKw.profile = [1, 2]; })).toMatch(/buildingLoadKw\.profile/);
    expect(refusal((c) => { c.surprise = 1; })).toMatch(/surprise/);
  });

  it('names an unknown policy', () => {
    expect(() => getPolicy('multi-objectives')).toThrow(/policy: unknown policy "multi-objectives"/);
  });
});
