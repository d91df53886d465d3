import { InputError } from '@zonal/core';
import { describe, expect, it } from 'vitest';
import { assertInRun, subjects, validateRunId } from './subjects';

describe('subjects', () => {
  it('names every subject under zonal.<runId>', () => {
    const s = subjects('run-42_a');
    expect(s.zoneAnnounce('z3')).toBe('zonal.run-42_a.zone.z3.announce');
    expect(s.zoneSolve('z3')).toBe('zonal.run-42_a.zone.z3.solve');
    expect(s.anyZoneAnnounce).toBe('zonal.run-42_a.zone.*.announce');
    expect(s.dsoStatus).toBe('zonal.run-42_a.dso.status');
    expect(s.round).toBe('zonal.run-42_a.round');
    expect(s.control).toBe('zonal.run-42_a.control');
    expect(s.all).toBe('zonal.run-42_a.>');
  });

  it.each(['', 'a.b', 'a*', '>', 'a b', 'ü', 'x'.repeat(65), 7, undefined])('refuses run id %j by name', (bad) => {
    expect(() => validateRunId(bad)).toThrow(InputError);
    expect(() => validateRunId(bad)).toThrow(/^runId: /);
  });

  it('accepts a 64-character run id and refuses a bad zone id naming zoneId', () => {
    expect(validateRunId('x'.repeat(64))).toHaveLength(64);
    expect(() => subjects('r').zoneSolve('z.1')).toThrow(/^zoneId: /);
  });

  it('keeps a transport inside its run', () => {
    expect(() => assertInRun('zonal.a.zone.z1.solve', 'a')).not.toThrow();
    expect(() => assertInRun('zonal.a.>', 'a')).not.toThrow();
    expect(() => assertInRun('zonal.a.zone.*.announce', 'a')).not.toThrow();
    for (const outside of ['zonal.b.control', 'zonal.ab.control', 'zonal.*.control', 'zonal.>', 'zonal.a', 'zonal.a.', 'zonal.a..x', 'zonal.a.>.x']) {
      expect(() => assertInRun(outside, 'a'), outside).toThrow(/not a subject of run a/);
    }
  });
});
