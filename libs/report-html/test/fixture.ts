/**
 * The test fixture: a trimmed report.json of `zonal sim` on the default scenario (24 × 1 h, 33 buses,
 * 4 zones; floats to 8 significant digits, three excluded EVs kept), and the same report with the
 * fields newer reports carry (before-coordination purchase and load per period, the substation's
 * rating, the voltage band, violations after coordination) for the page to draw them too.
 */
import { readFileSync } from 'node:fs';
import type { ReportForHtml } from '../src/types';

export function fixtureReport(): ReportForHtml {
  return JSON.parse(readFileSync(new URL('./fixtures/report.json', import.meta.url), 'utf8')) as ReportForHtml;
}

/** The fixture with the newer fields; the added numbers are made up for drawing, not physics. */
export function fixtureWithNewFields(): ReportForHtml {
  const r = fixtureReport();
  const evKw = (p: NonNullable<ReportForHtml['periods']>[number]) => (p.zones ?? []).reduce((a, z) => a + (z.deliveredKw ?? 0), 0);
  return {
    ...r,
    periods: (r.periods ?? []).map((p, t) => ({
      ...p,
      // Uncoordinated charging as a bump in the evening, on the base load (load − EV power).
      loadBeforeKw: (p.loadKw ?? 0) - evKw(p) + 2500 * Math.exp(-(((t - 19) / 2.5) ** 2)),
      purchaseBeforeKw: (p.purchaseKw ?? 0) - evKw(p) + 2500 * Math.exp(-(((t - 19) / 2.5) ** 2)),
    })),
    substation: { ratingKva: 6500 },
    voltageBandPu: [0.9, 1.05],
    violations: {
      before: r.violations?.before ?? [],
      after: [
        { kind: 'vmin', busId: 18, period: 4, hour: 4, value: 0.8993, limit: 0.9 },
        { kind: 'rating', busId: 19, period: 10, hour: 10, value: 607.8, limit: 593.1 },
        { kind: 'substation', busId: 1, period: 19, hour: 19, value: 6600, limit: 6500 },
      ],
    },
  };
}
