import { runDispatch, type DispatchBasis } from '@zonal/dispatch';
import { addConvexPiecewise, breakpointsAround, type LpExporter, type ModelBuilder } from '@zonal/solver';
import type { DsoSignal, ZoneReport } from '@zonal/policies';
import { addAggregateLink, addZoneTerms } from '../centralised';
import { clearByColumns, ColumnPool } from '../clearing-columns';
import { clearingZones } from '../clearing-groups';
import { coarseStart, startsFromCoarse } from '../clearing-start';
import { ZoneCaps } from '../ev-caps';
import { fixDsoPast } from '../rolling/dso-past';
import type { NegotiationSetup, ZoneSetup } from '../setup';
import { rms, zoneSeries, type CoordinationMethod, type RoundUpdate } from './method';

/**
 * Consensus ADMM with the DSO as coordinator (SPEC §8; Boyd et al. 2011, §3.1 scaled form, §3.4.1
 * over-relaxation, §3.4.1 residual balancing). The coupling variable of zone z is its EV grid power
 * per period: the zone's copy x_z (its policy's schedule) and the DSO's copy y_z (what the network
 * dispatch serves) must agree.
 *
 *   zone:  x_z ← argmin f_z(x) + ρ/2·dt·‖x − y_z + u_z‖²         (the zone's policy, SPEC §7)
 *   DSO:   y   ← argmin f_D(y) + Σ_z ρ/2·dt·‖x̂_z − y_z + u_z‖²    (network dispatch)
 *   dual:  u_z ← u_z + x̂_z − y_z,   x̂ = α·x + (1 − α)·y_prev      (α: over-relaxation)
 *
 * HiGHS's QP solvers do not cope with the DSO's step (the active-set method ran past 300 s, the
 * interior point did not converge in 60 s on IEEE-33 × 24 h), so the DSO's proximal term is a convex
 * piecewise-linear function exact at points c = y_prev ± a, a on a geometric grid scaled to the last
 * residual (the interpolation through them, or the tangents at them where y's range is not finite):
 * an LP (GLPK-checkable) whose error shrinks as the rounds converge. Planning each zone's EVs at the
 * buses where its last answer drew them (as target-penalty does) was tried: every round, ADMM
 * oscillated (not converged after 32 rounds); at each delivery check, the overload moved from period to
 * period (13 rounds, gap 0.7%). The announced spread with tightened ratings stays. The zones' steps stay exact QPs (a few hundred variables each).
 *
 * The DSO's step holds each zone's copy y_z in the zone's aggregate envelope (the sum of its announced
 * groups, one energy trajectory), not in the groups themselves: a superset of what the zone's EVs can
 * do, so the fixed point is the same (the zone's own step keeps x_z exact, and agreement is y_z = x_z),
 * and the step is the network's LP plus 3 columns a period per zone, not 1 614 groups' (default
 * scenario: 3 942 x 5 955 instead of 12 027 x 40 429, 25 000 simplex iterations a round to a few
 * hundred; the same rounds and costs to 0.01 yuan). The clearing below holds the groups: its
 * duals start the multipliers, and the aggregates' started them far off (19 rounds instead of 5).
 * Beyond 30 000 groups in all, it holds coarser sums of them (clearing-groups.ts). With
 * `admm.clearing: columns` it is solved by column generation instead (clearing-columns.ts): the same
 * optimum as the LP over every announced group, with no LP holding them.
 *
 * Warm start: y⁰ is the DSO's clearing of the zones' bids — its dispatch over their announced
 * envelope groups at their declared marginal costs, never a solve over private data — and u⁰ = λ⁰/ρ
 * with λ⁰ the duals of the envelope links (the marginal cost of each zone's power), so a zone whose
 * private costs the bid already declared agrees at once, and the rounds only settle the rest.
 */
export function createAdmm(setup: NegotiationSetup, exporter?: LpExporter): CoordinationMethod {
  const p = setup.scenario.negotiation.admm;
  const T = setup.inputs.grid.periods, dt = setup.inputs.grid.dtH;
  const flexible = setup.zones.map((z) => z.flexible);
  let rho = p.rho0YuanPerKwhPerKw;
  let y: Float64Array[] = [];
  let u: Float64Array[] = [];
  let lossSqPu: Float64Array[] | undefined;
  let lastCost: number | null = null;
  let tangentScaleKw = INITIAL_TANGENT_SCALE_KW;
  // The clearing's last basis: after a delivery check only some ratings moved, so the next clearing
  // starts from it (default scenario: a few dozen iterations instead of 9 500 cold).
  let clearingBasis: DispatchBasis | null = null;
  // By column generation when the scenario says so; its columns and basis carry over to the
  // clearings after delivery checks.
  const columnPool = p.clearing === 'columns' ? new ColumnPool(setup.zones) : null;
  // The zones' caps on the branches only their own EVs load (ev-caps.ts), grown with their answers.
  const caps = p.evCaps === false ? null : new ZoneCaps(setup);

  return {
    name: 'admm',

    async initialise() {
      if (columnPool) {
        // The same clearing by column generation, no LP holding the groups (clearing-columns.ts).
        const c = await clearByColumns(setup, { pool: columnPool, exporter, initialLossSqPu: lossSqPu });
        u = c.linkDuals.map((d) => d.map((v) => v / dt / rho));
        y = c.flexKw.map((a) => Float64Array.from(a));
        lossSqPu = c.dispatch.lossSqPu;
        // A re-clearing moves the point, and the caps' headroom with it, as the LP clearing's below.
        caps?.update(c.dispatch);
        return;
      }
      let links: number[][] = [];
      // Beyond CLEARING_GROUP_BUDGET groups in all, the clearing holds coarser sums of them (clearing-groups.ts).
      const cleared = clearingZones(setup.zones).map((c) => c.zone);
      // The first clearing of many announced groups starts from the clearing over their sums, as the
      // oracle does: that clearing's basis, losses and limit rows (clearing-start.ts). Not one over
      // coarser sums already (a city's): the start sets the announced groups.
      const fromSums = p.clearingStart === 'sums' || (p.clearingStart !== 'cold' && startsFromCoarse(cleared));
      const start = !clearingBasis && fromSums && cleared.every((z, k) => z === setup.zones[k])
        ? await coarseStart(setup, { extend: (built) => fixDsoPast(built, setup.past) }) : null;
      const warm = await runDispatch(setup.inputs, {
        flexible, exporter, warmStart: clearingBasis,
        warmStartFor: start ? (built) => start.basisFor(built) : undefined,
        // Cleared again after a delivery check: from the losses of the point the rounds reached, not
        // losslessly, so the last clearing's (loss-aware) basis is a few pivots from the new optimum.
        initialLossSqPu: clearingBasis ? lossSqPu : start?.lossSqPu,
        // The announce carries each zone's envelope and its declared marginal costs (degradation,
        // peak tie-break), so the warm start is the clearing of those bids; policies with other
        // private objectives are what the rounds then settle.
        extend: (built) => { fixDsoPast(built, setup.past); links = cleared.map((z, k) => addZoneTerms(built, z, k).linkRows); },
        onSolved: (_built, sol) => { u = links.map((rows) => Float64Array.from(rows, (r) => sol.dual(r) / dt / rho)); },
      });
      y = warm.flexKw.map((a) => Float64Array.from(a));
      lossSqPu = warm.lossSqPu;
      clearingBasis = warm.basis;
      caps?.update(warm);
    },

    evCaps() {
      return setup.zones.map((_z, k) => caps?.of(k) ?? []);
    },

    snapshot() {
      return { rho, y, u, lossSqPu: lossSqPu ?? null, lastCost, tangentScaleKw, evCaps: caps?.snapshot() ?? null };
    },

    restore(state: unknown) {
      const s = state as Record<string, unknown>;
      const Z = setup.zones.length;
      if (typeof s.rho !== 'number' || !(s.rho > 0) || typeof s.tangentScaleKw !== 'number') throw new Error('checkpoint field rho / tangentScaleKw is not a positive number');
      rho = s.rho;
      tangentScaleKw = s.tangentScaleKw;
      y = zoneSeries(s.y, Z, T, 'y');
      u = zoneSeries(s.u, Z, T, 'u');
      lossSqPu = s.lossSqPu === null ? undefined : (s.lossSqPu as Float64Array[]).map((a) => Float64Array.from(a));
      lastCost = typeof s.lastCost === 'number' ? s.lastCost : null;
      // A checkpoint of a run without caps (or from before them) restores none; the next round's
      // answers grow them again.
      if (caps && s.evCaps) caps.restore(s.evCaps);
    },

    signal(zone: ZoneSetup, round: number): DsoSignal {
      const k = setup.zones.indexOf(zone);
      // ρ/2‖x − y + u‖² = ρu·x + ρ/2‖x − y‖² + const: the multiplier λ = ρu prices the zone's energy.
      return { round, consensus: { referenceKw: Float64Array.from(y[k]), lambdaYuanPerKwh: u[k].map((v) => rho * v), rho }, ...(caps?.of(k).length ? { evCaps: caps.of(k) } : {}) };
    },

    async update(answers: ReadonlyArray<ZoneReport | null>): Promise<RoundUpdate> {
      // A zone that never answered keeps the DSO's own copy: it neither pulls nor pushes.
      const x = answers.map((a, k) => a?.evKw ?? y[k]);
      const xHat = x.map((xk, k) => xk.map((v, t) => p.overRelaxation * v + (1 - p.overRelaxation) * y[k][t]));
      const target = xHat.map((xk, k) => xk.map((v, t) => v + u[k][t]));
      const dso = await runDispatch(setup.inputs, {
        flexible, exporter,
        initialLossSqPu: lossSqPu,
        maxLossRounds: 0,
        // No warm start here: the proximal tangents move every round, and simplex from the old
        // basis without presolve measured twice as slow as a cold solve (0.77 vs 1.46 s a round).
        warmStart: null,
        extend: (built) => {
          fixDsoPast(built, setup.past);
          setup.zones.forEach((z, k) => {
            addAggregateLink(built, z, k);
            for (let t = 0; t < T; t++) addProximalTangents(built.model, built.vars.flexKw[k].at(t), target[k][t], y[k][t], rho, dt, tangentScaleKw, `z${z.id}prox`, t);
          });
        },
      });
      const yNew = dso.flexKw;
      caps?.update(dso, answers);
      const primal = rms(x.map((xk, k) => [xk, yNew[k]] as [Float64Array, Float64Array]));
      const dual = rms(yNew.map((yk, k) => [yk, y[k]] as [Float64Array, Float64Array]));
      u = u.map((uk, k) => uk.map((v, t) => v + xHat[k][t] - yNew[k][t]));
      y = yNew.map((a) => Float64Array.from(a));
      lossSqPu = dso.lossSqPu;
      tangentScaleKw = Math.max(MIN_TANGENT_SCALE_KW, primal / 4);

      const cost = dso.costs.totalYuan + answers.reduce((a, ans) => a + (ans?.degradationYuan ?? 0), 0);
      const relChange = lastCost === null ? Infinity : Math.abs(cost - lastCost) / Math.max(1, Math.abs(lastCost));
      lastCost = cost;
      const converged = primal <= p.primalTolKw && dual <= p.dualTolKw && relChange <= p.relCostTol;
      const rhoUsed = rho;
      // Residual balancing: keep the two residuals within a factor mu; rescale u so λ = ρu stays put.
      const { mu, tau } = p.residualBalancing;
      // ρ stays within its declared bounds: a zone that never moves would otherwise drive it to 1e10.
      const [rhoLo, rhoHi] = p.rhoBoundsYuanPerKwhPerKw;
      if (!converged && primal > mu * dual && rho * tau <= rhoHi) { rho *= tau; u = u.map((uk) => uk.map((v) => v / tau)); }
      else if (!converged && dual > mu * primal && rho / tau >= rhoLo) { rho /= tau; u = u.map((uk) => uk.map((v) => v * tau)); }
      return { rho: rhoUsed, primalResidualKw: primal, dualResidualKw: dual, totalCostYuan: cost, converged, dsoEvKw: y.map((a) => Float64Array.from(a)) };
    },
  };
}

/** Tangent offsets, in units of the scale: fine near the target, wide enough for early rounds. */
const TANGENT_OFFSETS = [0, ...[0.125, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128, 256].flatMap((a) => [a, -a])];
const INITIAL_TANGENT_SCALE_KW = 8;
const MIN_TANGENT_SCALE_KW = 0.05;

/**
 * dt·ρ/2·(y − v)² as a convex piecewise-linear term through points c = center + a, exact at each:
 * its interpolation (segment columns, solver/piecewise.ts) when y's range is finite, else its
 * tangents, dt·s with s ≥ ρ·(c − v)·(y − c) + ρ/2·(c − v)². The points sit around `center`, the
 * DSO's last schedule, where the new one is expected.
 */
function addProximalTangents(m: ModelBuilder, y: number, v: number, center: number, rho: number, dt: number, scaleKw: number, family: string, t: number): void {
  // Segments rather than rows: 20-30% fewer simplex iterations on the default scenario's step.
  const breakpoints = breakpointsAround(center, scaleKw, TANGENT_OFFSETS, m.colLowerBound(y), m.colUpperBound(y));
  if (breakpoints) {
    addConvexPiecewise(m, family, [t], y, breakpoints, (x) => (rho / 2) * (x - v) ** 2, dt);
    return;
  }
  const s = m.addVar(family, [t], { lb: 0, ub: rho * (Math.abs(v) + Math.abs(center) + 512 * scaleKw + 1e5) ** 2 });
  m.setObjectiveCoef(s, dt);
  TANGENT_OFFSETS.forEach((o, i) => {
    const c = center + o * scaleKw;
    // s − ρ(c − v)·y ≥ −ρ(c − v)·c + ρ/2·(c − v)²
    m.addConstraint(`${family}Tan`, [t, i], [s, y], [1, -rho * (c - v)], '>=', -rho * (c - v) * c + (rho / 2) * (c - v) ** 2);
  });
}
