import type { DispatchResult } from '@zonal/dispatch';
import type { NegotiationSetup } from './setup';

/**
 * The DSO's caps on what a zone's EVs below a branch may draw (DsoSignal.evCaps). The DSO models a
 * zone's EVs at its buses by the shares of the zone's announced flexibility; the zone's EVs draw
 * where its own schedule puts them, so a lateral its EVs load may carry more than the DSO planned,
 * and an agreed point broke it (default scenario: the branch into bus 22, 12% over its rating) until
 * the DSO re-planned on a tightened rating. On a branch that no other zone's EVs load — beside fixed
 * loads and DERs, which are the DSO's —, what the zone's EVs below it may draw is known to the DSO
 * from its own point: the branch's rating (as the DSO holds it, tightened) less everything else the
 * branch carries there. The zone, which knows where its EVs are, keeps them within it (policies
 * zone-model.ts), so the point it delivers keeps that rating. Branches several zones' EVs load stay
 * with the delivery check.
 */

/** A branch only one zone's EVs load. */
export interface ZoneBranch {
  /** The bus position the branch feeds (the branch from its parent). */
  busPos: number;
  /** The zone's buses at or below it (ids, ascending) where its EVs are. */
  buses: number[];
  /** Per period: the share of the zone's EV power the DSO places below it. */
  shareBelow: Float64Array;
}

/** Per zone: the branches only its EVs load (beside fixed loads and DERs). */
export function zoneBranches(setup: NegotiationSetup): ZoneBranch[][] {
  const net = setup.inputs.net, n = net.nBus, T = setup.inputs.grid.periods;
  // Which zones' EVs are at or below each position: -1 none, k one zone, -2 several.
  const zoneBelow = new Int32Array(n).fill(-1);
  const shareAt: Array<Map<number, Float64Array>> = Array.from({ length: n }, () => new Map());
  setup.zones.forEach((z, k) => z.flexible.busShares.forEach((b) => {
    if (b.share.some((v) => v > 0)) { zoneBelow[b.busPos] = merge(zoneBelow[b.busPos], k); shareAt[b.busPos].set(k, b.share); }
  }));
  for (let i = net.order.length - 1; i > 0; i--) {
    const j = net.order[i], parent = net.parentPos[j];
    if (parent >= 0) zoneBelow[parent] = merge(zoneBelow[parent], zoneBelow[j]);
  }
  const children: number[][] = Array.from({ length: n }, () => []);
  for (let j = 0; j < n; j++) if (net.parentPos[j] >= 0) children[net.parentPos[j]].push(j);
  const out: ZoneBranch[][] = setup.zones.map(() => []);
  for (let j = 0; j < n; j++) {
    const k = zoneBelow[j];
    if (k < 0 || j === net.slackPos || !Number.isFinite(setup.inputs.sMaxKva[j])) continue;
    const buses: number[] = [], shareBelow = new Float64Array(T);
    const stack = [j];
    while (stack.length) {
      const b = stack.pop()!;
      const s = shareAt[b].get(k);
      if (s) { buses.push(setup.feeder.buses[b].id); for (let t = 0; t < T; t++) shareBelow[t] += s[t]; }
      stack.push(...children[b]);
    }
    out[k].push({ busPos: j, buses: buses.sort((a, b) => a - b), shareBelow });
  }
  return out;
}

function merge(a: number, b: number): number {
  if (a === -1) return b;
  if (b === -1 || a === b) return a;
  return -2;
}

/** What a cap keeps below the rating (relative): the AC point moves a little with where the EVs draw. */
export const EV_CAP_MARGIN = 0.01;

/**
 * A branch joins a zone's caps once an answer's EVs below it come within this share of the
 * branch's limit from the headroom the DSO's point leaves them (or beyond it).
 */
export const EV_CAP_NEAR_SHARE = 0.02;

export type EvCap = { buses: number[]; maxKw: Float64Array };

/**
 * Each zone's caps, grown with what its answers do: a branch only the zone's EVs load joins the
 * zone's caps once an answer's EVs below it come near or beyond the headroom at the DSO's point
 * (as the DSO's own limit rows join its model where its flows come near them, dispatch limits.ts),
 * and stays. The zone then models the EVs at the buses below apart (policies bus-groups.ts), so a
 * cap costs its model only the buses it covers.
 */
export class ZoneCaps {
  private readonly branches: ZoneBranch[][];
  /** Per zone, the indices (into its branches) of its caps, in the order they joined. */
  private active: number[][];
  private caps: EvCap[][];

  constructor(private readonly setup: NegotiationSetup) {
    this.branches = zoneBranches(setup);
    this.active = setup.zones.map(() => []);
    this.caps = setup.zones.map(() => []);
  }

  /** Zone k's caps at the DSO's last point. */
  of(k: number): EvCap[] {
    return this.caps[k];
  }

  /**
   * At the DSO's point `at` (a dispatch with the zones' EV power `at.flexKw`, their shares): each
   * zone's caps join what the zones' answers came near (when given), then each cap's headroom.
   */
  update(at: DispatchResult, answers?: ReadonlyArray<{ busEvKw?: ReadonlyArray<{ bus: number; kw: ArrayLike<number> }> } | null>): void {
    const T = this.setup.inputs.grid.periods;
    this.caps = this.branches.map((list, k) => {
      const headroom = list.map((br) => this.headroomKw(br, k, at));
      const drawn = answers?.[k]?.busEvKw;
      if (drawn) {
        const kwAt = new Map(drawn.map((b) => [b.bus, b.kw] as const));
        list.forEach((br, i) => {
          if (this.active[k].includes(i)) return;
          for (let t = 0; t < T; t++) {
            const below = br.buses.reduce((a, bus) => a + (kwAt.get(bus)?.[t] ?? 0), 0);
            if (below > headroom[i].capKw[t] - EV_CAP_NEAR_SHARE * headroom[i].limitKw[t]) { this.active[k].push(i); break; }
          }
        });
      }
      const z = this.setup.zones[k];
      return this.active[k].map((i) => {
        const br = list[i], h = headroom[i];
        // Periods in which the zone's EVs below could not reach it hold no row.
        const maxKw = h.capKw.map((cap, t) => (br.shareBelow[t] * (z.flexible.ubKw[t] - z.flexible.lbKw[t]) > cap ? cap : Infinity));
        return { buses: br.buses, maxKw };
      });
    });
  }

  /** Each zone's caps and the branches they are on, to resume from (`restore`): the next signal is the one a run without the restart sends. */
  snapshot(): { active: number[][]; caps: EvCap[][] } {
    return { active: this.active.map((a) => [...a]), caps: this.caps.map((list) => list.map((c) => ({ buses: [...c.buses], maxKw: Float64Array.from(c.maxKw) }))) };
  }

  restore(state: unknown): void {
    const s = state as { active?: unknown; caps?: unknown };
    const T = this.setup.inputs.grid.periods;
    const zones = this.branches.length;
    const activeOk = Array.isArray(s.active) && s.active.length === zones
      && s.active.every((a, k) => Array.isArray(a) && a.every((i) => Number.isInteger(i) && i >= 0 && i < this.branches[k].length));
    const capsOk = Array.isArray(s.caps) && s.caps.length === zones && s.caps.every((list, k) => Array.isArray(list)
      && list.length === (s.active as number[][])[k]?.length
      && list.every((c: EvCap) => Array.isArray(c.buses) && c.maxKw instanceof Float64Array && c.maxKw.length === T));
    if (!activeOk || !capsOk) throw new Error('checkpoint field evCaps is not each zone\'s caps on its own branches');
    this.active = (s.active as number[][]).map((a) => [...a]);
    this.caps = (s.caps as EvCap[][]).map((list) => list.map((c) => ({ buses: [...c.buses], maxKw: Float64Array.from(c.maxKw) })));
  }

  /**
   * What zone k's EVs below `br` may draw at the DSO's point `at`, per period: the branch's rating
   * (as the DSO holds it, tightened) as the LP's polygon lets active power through at the point's
   * reactive flow, less a margin, less everything else the branch carries there.
   */
  private headroomKw(br: ZoneBranch, k: number, at: DispatchResult): { capKw: Float64Array; limitKw: Float64Array } {
    const inputs = this.setup.inputs, T = inputs.grid.periods, scale = inputs.ratingScale?.branch;
    const sides = inputs.scenario.network.lineRating.polygonSides;
    const capKw = new Float64Array(T), limitKw = new Float64Array(T);
    for (let t = 0; t < T; t++) {
      const p = at.acBranchPKw[t][br.busPos], kva = at.acBranchKva[t][br.busPos];
      const q = Math.sqrt(Math.max(0, kva * kva - p * p));
      limitKw[t] = polygonPMax(inputs.sMaxKva[br.busPos] * (scale?.[t][br.busPos] ?? 1), q, sides) * (1 - EV_CAP_MARGIN);
      capKw[t] = limitKw[t] - (p - br.shareBelow[t] * at.flexKw[k][t]);
    }
    return { capKw, limitKw };
  }
}

/**
 * The most active power the DSO's rating polygon (N sides at S·cos(π/N) from the origin, at angles
 * (2k + 1)π/N: dispatch limits.ts) lets through with reactive power ±q: the LP's limit, not the
 * circle's, so a point within the cap needs none of the LP's slack.
 */
function polygonPMax(s: number, q: number, sides: number): number {
  const d = s * Math.cos(Math.PI / sides);
  let best = Infinity;
  for (let k = 0; k < sides; k++) {
    const th = ((2 * k + 1) * Math.PI) / sides, c = Math.cos(th), sn = Math.abs(Math.sin(th));
    if (c > 1e-12) best = Math.min(best, (d - sn * q) / c);
  }
  return Math.max(0, best);
}
