import { describe, expect, it } from 'vitest';
import { fixtureReport } from '../test/fixture';
import { clockLabel, evChart, feederLayout, loadChart, roundsChart, voltageChart } from './charts';

describe('clockLabel', () => {
  it('is HH:MM of the period start, quarter hours included', () => {
    expect([0, 0.25, 9.5, 13.75, 23.75].map(clockLabel)).toEqual(['00:00', '00:15', '09:30', '13:45', '23:45']);
  });
});

describe('feederLayout', () => {
  const ieee33 = fixtureReport().branches!;
  const pos = feederLayout([], ieee33);

  it('puts the trunk 1–18 on row 0, one column per bus, and each lateral on a row of its own', () => {
    for (let b = 1; b <= 18; b++) expect(pos.get(b), `bus ${b}`).toEqual({ x: b - 1, y: 0 });
    // Laterals nearer the root sit further down: 26–33 (from bus 6), 23–25 (bus 3), 19–22 (bus 2).
    expect(pos.get(26)).toEqual({ x: 6, y: 1 });
    expect(pos.get(23)).toEqual({ x: 3, y: 2 });
    expect(pos.get(19)).toEqual({ x: 2, y: 3 });
    expect(pos.size).toBe(33);
  });

  it('draws no two branches crossing', () => {
    const seg = ieee33.map((e) => [pos.get(e.from)!, pos.get(e.to)!] as const);
    for (let i = 0; i < seg.length; i++) {
      for (let k = i + 1; k < seg.length; k++) {
        const [a, b] = seg[i], [c, d] = seg[k];
        if (a.x !== c.x || b.x !== d.x) continue; // edges span one column: only same-column pairs can cross
        expect((a.y - c.y) * (b.y - d.y), `branches ${i} and ${k}`).toBeGreaterThanOrEqual(0);
      }
    }
  });

  it('places buses no branch reaches on rows of their own, and a deep feeder without recursion', () => {
    const p = feederLayout([1, 2, 7], [{ from: 1, to: 2 }]);
    expect(p.get(7)).toEqual({ x: 0, y: 1 });
    const chain = Array.from({ length: 20_000 }, (_, k) => ({ from: k + 1, to: k + 2 }));
    expect(feederLayout([], chain).get(20_001)).toEqual({ x: 20_000, y: 0 });
  });
});

describe('charts with fields missing', () => {
  it('skip a series with no value and a chart with no data, never NaN', () => {
    expect(loadChart({ periods: [{ hour: 0 }] })).toBeNull();
    expect(evChart({ periods: [{ hour: 0, zones: [] }] })).toBeNull();
    expect(voltageChart({ buses: [{ bus: 1, vmPu: [] }] })).toBeNull();
    expect(roundsChart({ roundLog: [] })).toBeNull();
    const load = loadChart({ periods: [{ purchaseKw: Number.NaN }, { purchaseKw: 5 }], run: { dtH: 0.25 } })!;
    expect(load.series).toEqual([expect.objectContaining({ name: 'grid purchase, after', data: [null, 5] })]);
    expect((load.xAxis as { data: string[] }).data).toEqual(['00:00', '00:15']);
  });

  it('keeps a zero residual off the log axis', () => {
    const c = roundsChart({ roundLog: [{ round: 1, primalResidualKw: 0, dualResidualKw: 2, totalCostYuan: 10 }] })!;
    expect((c.series as Array<{ data: unknown[] }>)[0].data).toEqual([null]);
    const none = roundsChart({ roundLog: [{ round: 1 }] })!;
    expect((none.yAxis as Array<{ type: string }>)[0].type).toBe('value');
  });
});
