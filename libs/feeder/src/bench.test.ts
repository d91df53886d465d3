import { describe, expect, it } from 'vitest';
import { benchPowerFlow } from './bench';

// Shape only: speed belongs in `npm run bench`, never in a test assertion.
describe('benchPowerFlow', () => {
  it('times IEEE-33 and synthetic 1 000 / 5 000-bus feeders and reports converged sweep counts', () => {
    const rows = benchPowerFlow({ minTimeMs: 5, warmupMs: 1 });
    expect(rows.map((r) => [r.case, r.buses])).toEqual([['ieee33', 33], ['synthetic1000_seed20251123', 1000], ['synthetic5000_seed20251123', 5000]]);
    for (const r of rows) {
      expect(r.msPerSolve).toBeGreaterThan(0);
      expect(r.iterations).toBeGreaterThan(1);
      expect(r.iterations).toBeLessThan(100);
    }
  });
});
