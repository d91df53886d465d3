import { afterAll, describe, expect, it } from 'vitest';
import { loadScenario } from '@zonal/scenario';
import { shutdownSolver } from '@zonal/solver';
import { buildSimSetup } from '../harness';
import type { DispatchResult } from '@zonal/dispatch';
import { drawRealisedDay, forecastAsRealised, type RealisedDay } from './realised';
import { negotiateInProcess, runRolling, windowSetup } from './rolling';
import { runRollingStudy, rollingReport } from './study';
import { RollingZone } from './zone-state';
import { energyAfter } from './pieces';

afterAll(() => shutdownSolver());

const small = loadScenario('small-test');
const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

/** Emissions of one period of a dispatch (t CO2): purchase at the grid's thermal share, diesel at its own factor (seed 001 eq 2). */
function periodEmissionsT(d: DispatchResult, t: number): number {
  const g = small.grid, dt = small.time.dtH;
  return (g.thermalShare * g.thermalEmissionTPerMwh * d.schedule.pGridKw[t] * dt) / 1000
    + d.schedule.dieselKw.reduce((a, kw, u) => a + (small.ders.diesel[u].emissionTPerMwh * kw[t] * dt) / 1000, 0);
}

describe('rolling horizon (issue 12), small-test scenario', async () => {
  const sim = await buildSimSetup(small);
  const dayAhead = await negotiateInProcess(sim, sim.parties);
  const dayAheadCost = dayAhead.negotiation.evaluation.totalCostYuan + dayAhead.negotiation.evaluation.dispatch.costs.penaltyYuan;

  describe('a realised day equal to the forecast', async () => {
    const same = await runRollingStudy(sim, forecastAsRealised(sim.parties), { everyPeriods: 1, dayAhead });

    it('reproduces the day-ahead result: nothing deviates, so the agreement stands at every boundary and the realised day costs what it planned', () => {
      expect(same.rolling.windows.map((w) => w.replanned)).toEqual(Array(24).fill(false));
      expect(rel(same.rolling.costYuan, dayAheadCost)).toBeLessThan(1e-6);
      expect(rel(same.held.costYuan, dayAheadCost)).toBeLessThan(1e-6);
      expect(same.rolling.shortfalls).toEqual([]);
    });

    it('negotiated again from a boundary with the past held at the plan, finds the same day (within the negotiation\'s tolerance)', async () => {
      // The window model is the day's model with its past fixed: from boundary 12, the zones' windows
      // (EVs present with the energy the plan gave them, the forecast of the rest) and the DSO's past
      // (its DERs as dispatched, the zones' EVs as metered) negotiate the rest of the same day.
      const zones = sim.parties.map((p, i) => {
        const z = new RollingZone(p, forecastAsRealised(sim.parties)[i]);
        z.adoptDayAhead(dayAhead.schedules[i]);
        return z;
      });
      for (let k = 0; k < 12; k++) for (const z of zones) { const w = z.window(k); z.adopt(w, w.onPlan!); z.apply(k, 1); }
      const views = zones.map((z) => z.window(12));
      const s = dayAhead.negotiation.evaluation.dispatch.schedule;
      const setup = windowSetup(sim, views, { periods: 12, dieselKw: s.dieselKw, renewableKw: s.renewableKw });
      const again = await negotiateInProcess(setup, views.map((v) => v.party));
      expect(again.negotiation.converged).toBe(true);
      const pastDegradation = zones.reduce((a, z) => a + z.dischargedKwh() * z.forecast.problem.degradationYuanPerKwh, 0);
      const e = again.negotiation.evaluation;
      expect(rel(e.totalCostYuan + e.dispatch.costs.penaltyYuan + pastDegradation, dayAheadCost)).toBeLessThan(5e-4);
      // The past is the plan's: purchase and DERs of periods 0..11 as the day-ahead dispatched them.
      for (let t = 0; t < 12; t++) {
        expect(e.dispatch.schedule.pGridKw[t], `period ${t}`).toBeCloseTo(s.pGridKw[t], 3);
        expect(e.dispatch.schedule.dieselKw[0][t], `period ${t}`).toBe(s.dieselKw[0][t]);
      }
    });
  });

  describe('a realised day that differs (drawn on its own stream, 5% leaving early), re-negotiated every 4 periods', async () => {
    const realised = drawRealisedDay(small, sim.feeder, sim.scenario.zones, { earlyDepartureShare: 0.05 });
    const study = await runRollingStudy(sim, realised, { everyPeriods: 4, dayAhead, keepRecords: true });
    const report = rollingReport(study, { everyPeriods: 4, transport: 'in-process', earlyDepartureShare: 0.05, realisedDescription: 'drawn' });

    it('differs from the forecast: other arrivals, energies and departures, some EVs leaving early', () => {
      const forecastIds = sim.parties.flatMap((p) => p.problem.fleet.id);
      expect(realised.flatMap((r) => r.sessions).length).toBe(forecastIds.length);
      const sameStay = realised.flatMap((r, k) => r.sessions.filter((s) => {
        const f = sim.parties[k].problem.fleet, i = f.id.indexOf(s.spec.id);
        return i >= 0 && f.arrivalH[i] === s.spec.arrivalH;
      }));
      expect(sameStay).toEqual([]);
      expect(report.realisedDay.zones.reduce((a, z) => a + z.leftEarly, 0)).toBeGreaterThan(0);
      expect(study.rolling.windows.every((w) => w.replanned && w.converged)).toBe(true);
    });

    it('lands between hindsight and the day-ahead plan held: hindsight ≤ rolling ≤ day-ahead-held', () => {
      expect(report.hindsightCostYuan).toBeLessThanOrEqual(report.realisedCostYuan);
      expect(report.realisedCostYuan).toBeLessThanOrEqual(report.dayAheadHeldCostYuan);
      expect(report.ordered).toBe(true);
      expect(report.rollingAboveHindsightPct).toBeLessThan(report.heldAboveHindsightPct);
    });

    it('hands each EV\'s energy over exactly: at the start of window k+1 it holds what window k\'s schedule left it', () => {
      let checked = 0;
      for (const z of study.rolling.zones) {
        const recs = z.records;
        for (let w = 0; w + 1 < recs.length; w++) {
          const [now, next] = [recs[w], recs[w + 1]];
          next.pieces.forEach((p, j) => {
            if (p.source.kind !== 'realised' || p.start !== next.k) return;
            const src = p.source;
            const before = now.pieces.findIndex((q) => q.source.kind === 'realised' && q.source.index === src.index && (q.source.part === src.part || q.source.part === 'stay'));
            if (before < 0) return; // arrived inside window k, and waited
            const q = now.pieces[before];
            // What the policy saw in window k, run through window k's schedule to the next boundary.
            const seen = now.fleet.socArrival[before] * now.fleet.capacityKwh[before];
            const from = q.end > 24 && src.part === 'morning' ? q.start : Math.max(q.start, now.k);
            const to = q.end > 24 && src.part === 'morning' ? 24 + next.k : next.k;
            const expected = energyAfter(seen, now.schedules[before], from, to, 1);
            const got = next.fleet.socArrival[j] * next.fleet.capacityKwh[j];
            expect(Math.abs(got - expected), `zone ${z.id} EV ${p.ev.id} (${src.part}) at boundary ${next.k}`).toBeLessThan(1e-9);
            checked++;
          });
        }
      }
      expect(checked).toBeGreaterThan(100);
    });

    it('keeps the DSO\'s past: each window\'s day is the realised periods before it plus its own plan, so the day\'s emissions and peak add up', () => {
      const day = study.rolling.evaluation.dispatch;
      for (const { startPeriod: k, negotiation } of study.rolling.negotiations) {
        if (!negotiation || k === 0) continue;
        const w = negotiation.evaluation.dispatch;
        let pastT = 0;
        for (let t = 0; t < k; t++) {
          expect(w.schedule.dieselKw[0][t], `window ${k}, period ${t}: diesel`).toBe(day.schedule.dieselKw[0][t]);
          w.schedule.renewableKw.forEach((kw, u) => expect(kw[t], `window ${k}, period ${t}, unit ${u}`).toBe(day.schedule.renewableKw[u][t]));
          expect(w.schedule.pGridKw[t], `window ${k}, period ${t}: purchase`).toBeCloseTo(day.schedule.pGridKw[t], 2);
          pastT += periodEmissionsT(day, t);
        }
        let ownT = 0;
        for (let t = k; t < 24; t++) ownT += periodEmissionsT(w, t);
        // The window's carbon ladder is on this day total: the realised past's tonnes plus its own plan's.
        expect(w.emissionsT).toBeCloseTo(pastT + ownT, 3);
        // Its capacity charge is on a peak that counts the past's purchase.
        const dc = small.tariff.demandCharge, peakKva = w.costs.demandChargeYuan / (dc.yuanPerKvaMonth / dc.daysPerMonth);
        const pastPeakKw = Math.max(...day.schedule.pGridKw.slice(0, k));
        expect(peakKva).toBeGreaterThanOrEqual(pastPeakKw * Math.cos(Math.PI / 32) - 1);
      }
      let dayT = 0;
      for (let t = 0; t < 24; t++) dayT += periodEmissionsT(day, t);
      expect(day.emissionsT).toBeCloseTo(dayT, 6);
    });

    it('starts each window from the DSO\'s clearing with its cost as round 0\'s: the same day as a cold start, in fewer rounds', async () => {
      const cold = await runRolling(sim, dayAhead, realised, { everyPeriods: 4, start: 'cold' });
      const rounds = (ws: ReadonlyArray<{ rounds: number }>) => ws.reduce((a, w) => a + w.rounds, 0);
      expect(rel(study.rolling.costYuan, cold.costYuan)).toBeLessThan(1e-4);
      expect(rounds(study.rolling.windows)).toBeLessThan(rounds(cold.windows));
      // A cold start cannot agree in its first round (its cost change is measured from nothing).
      expect(cold.windows.every((w) => !w.replanned || w.rounds >= 2)).toBe(true);
      expect(study.rolling.windows.some((w) => w.replanned && w.rounds === 1)).toBe(true);
    });

    it('reports every EV that left short of its target by EV and kWh, as its stored energy shows', () => {
      const short = study.rolling.shortfalls;
      expect(short.some((s) => s.leftEarly)).toBe(true);
      for (const s of short) {
        const z = study.rolling.zones.find((x) => x.id === s.zoneId)!;
        const b = s.leftAtH > 24 ? s.leftAtH - 24 : s.leftAtH;
        expect(s.storedKwh).toBe(z.energyOf(s.ev)![b]);
        expect(s.shortfallKwh).toBeCloseTo(s.targetKwh - s.storedKwh, 9);
        expect(s.shortfallKwh).toBeGreaterThan(0);
      }
      expect(report.shortfalls.rollingKwh).toBeCloseTo(short.reduce((a, s) => a + s.shortfallKwh, 0), 9);
    });
  });

  describe('an EV that leaves early', async () => {
    // The forecast as the realised day, but for one EV that needs more than a period's charge and
    // leaves one period after it plugs in.
    const realised: RealisedDay[] = forecastAsRealised(sim.parties);
    const zone = realised[0];
    const pick = zone.sessions.findIndex((s) => {
      const need = (s.spec.socTarget - s.spec.socArrival) * s.spec.capacityKwh;
      return s.leaveBoundary !== null && s.leaveBoundary <= 24 && s.leaveBoundary - Math.ceil(s.spec.arrivalH) >= 3 && need > 1.5 * s.spec.pChargeMaxKw;
    });
    const leaver = zone.sessions[pick];
    const arrival = Math.ceil(leaver.spec.arrivalH - 1e-9);
    zone.sessions[pick] = { ...leaver, leaveBoundary: arrival + 1 };
    const study = await runRollingStudy(sim, realised, { everyPeriods: 1, dayAhead });

    it('is reported with its shortfall: its target less what it held when it left', () => {
      const s = study.rolling.shortfalls.find((x) => x.ev === leaver.spec.id && x.zoneId === zone.zoneId)!;
      expect(s).toMatchObject({ leftEarly: true, leftAtH: arrival + 1, leftOut: null });
      const energy = study.rolling.zones[0].energyOf(leaver.spec.id)!;
      expect(s.storedKwh).toBe(energy[arrival + 1]);
      expect(s.shortfallKwh).toBeCloseTo(s.targetKwh - s.storedKwh, 9);
      expect(s.shortfallKwh).toBeGreaterThan(0.5 * leaver.spec.pChargeMaxKw);
      // Gone: no energy after it left, and the day re-planned once it did.
      expect(Array.from(energy.slice(arrival + 2)).every(Number.isNaN)).toBe(true);
      expect(study.rolling.windows.filter((w) => w.replanned).map((w) => w.startPeriod)).toEqual([arrival + 1]);
    });
  });
});
