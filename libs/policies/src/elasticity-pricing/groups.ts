import { classEnergyAffine, type Matrix3 } from './response';
import type { PricedUser } from './users';

/**
 * Exact grouping of price-responsive users for the stage LPs (tracking-lp.ts), so a zone of a few
 * thousand EVs answers in well under a second.
 *
 * For the LP a priced user is, per price class c, a box 0 <= e_t <= pMax over the class's plugged
 * periods with a fixed total E_c(x) (response.ts), independently per class. Users with the same
 * window, type, charger and eta differ only in their totals. The energy n such users can take in any
 * k of the class's periods is sum_i min(k·step, E_i) (step = pMax·dt); when every E_i lies in one
 * band [m·step, (m+1)·step], that is min(n·k·step, sum_i E_i) for every k, the bound of one user
 * with charger n·pMax and total sum_i E_i. Both regions are base polytopes of polymatroids whose rank
 * depends on |S| only (the sum of users' regions is the region of the summed rank: polymatroid sum),
 * so equal ranks make them equal: the group is exact, not approximate (libs/ev groups.ts makes the
 * same argument for envelopes). E_c(x) is affine in x, so a user whose E_c stays in one band over the
 * whole box of x the LP may choose keeps its group for every x; one that crosses a band edge is a group
 * of its own. A group is a PricedUser with the members' summed need and charger limit: the affine
 * class energies scale with the need, so the LP rows are the members' rows summed.
 */
export interface PricedGroup {
  /** The group as one LP user (index and id of its first member). */
  user: PricedUser;
  members: PricedUser[];
}

/** Lower and upper bound of each coordinate of x the LP may choose (equal for a fixed x). */
export interface PriceBox {
  lo: readonly number[];
  hi: readonly number[];
}

export function groupPricedUsers(users: readonly PricedUser[], matrix: Matrix3, box: PriceBox, dtH: number): PricedGroup[] {
  const byKey = new Map<string, PricedUser[]>();
  for (const u of users) {
    const bands = classBands(u, matrix, box, dtH);
    const key = bands === null ? `alone/${u.index}` : [u.periods[0], u.periods.length, u.type, u.pMaxKw, u.eta, ...bands].join('/');
    const members = byKey.get(key);
    if (members) members.push(u);
    else byKey.set(key, [u]);
  }
  return [...byKey.values()].map((members) => ({ user: asOneUser(members), members }));
}

/** The band index of E_c over the box for each class the user covers, or null when one straddles an edge. */
function classBands(u: PricedUser, matrix: Matrix3, box: PriceBox, dtH: number): number[] | null {
  const stepKwh = u.pMaxKw * dtH;
  if (!(stepKwh > 0)) return null;
  const { constant, slope } = classEnergyAffine(u.needKwh, u.shares, matrix);
  const bands: number[] = [];
  for (let c = 0; c < 3; c++) {
    if (u.shares[c] === 0) continue;
    let lo = constant[c], hi = constant[c];
    for (let k = 0; k < 3; k++) {
      lo += Math.min(slope[c][k] * box.lo[k], slope[c][k] * box.hi[k]);
      hi += Math.max(slope[c][k] * box.lo[k], slope[c][k] * box.hi[k]);
    }
    // (A negative class energy makes that x infeasible for the user; the argument needs E >= 0.)
    const m = Math.floor(lo / stepKwh);
    if (lo < 0 || hi > (m + 1) * stepKwh) return null;
    bands.push(m);
  }
  return bands;
}

function asOneUser(members: PricedUser[]): PricedUser {
  const first = members[0];
  if (members.length === 1) return first;
  return {
    ...first,
    needKwh: members.reduce((a, u) => a + u.needKwh, 0),
    pMaxKw: members.reduce((a, u) => a + u.pMaxKw, 0),
  };
}

/**
 * Hands a group's charging (kW per plugged period, the LP's solution) to its members, class by class:
 * each member in turn takes a schedule that leaves the rest a total the remaining members can take
 * exactly (per period between max(0, Y_t − (n−1)·pMax) and min(pMax, Y_t), which sum to at least and
 * at most its class energy when the band condition holds), spread proportionally between those bounds;
 * the last member takes what is left. `classEnergyKwh(u)` is each member's class energies at the
 * stage's x (what the LP's rows held them to).
 */
export function splitGroupCharge(group: PricedGroup, chargeKw: Float64Array, classEnergyKwh: (u: PricedUser) => number[], dtH: number): Float64Array[] {
  const { members, user } = group;
  if (members.length === 1) return [Float64Array.from(chargeKw)];
  const out = members.map(() => new Float64Array(user.periods.length));
  const pMax = members[0].pMaxKw;
  for (let c = 0; c < 3; c++) {
    const js = user.periods.reduce<number[]>((acc, _, j) => (user.priceClass[j] === c ? [...acc, j] : acc), []);
    if (js.length === 0) continue;
    const left = js.map((j) => Math.min(Math.max(chargeKw[j], 0), members.length * pMax));
    members.forEach((u, k) => {
      const rest = members.length - 1 - k;
      if (rest === 0) {
        js.forEach((j, q) => (out[k][j] = Math.min(Math.max(left[q], 0), pMax)));
        return;
      }
      const lo = left.map((y) => Math.min(pMax, Math.max(0, y - rest * pMax)));
      const hi = left.map((y) => Math.min(pMax, Math.max(0, y)));
      const sumLo = lo.reduce((a, v) => a + v, 0), sumHi = hi.reduce((a, v) => a + v, 0);
      const wantKw = classEnergyKwh(u)[c] / dtH;
      const theta = sumHi > sumLo ? Math.min(1, Math.max(0, (wantKw - sumLo) / (sumHi - sumLo))) : 0;
      js.forEach((j, q) => {
        out[k][j] = lo[q] + theta * (hi[q] - lo[q]);
        left[q] -= out[k][j];
      });
    });
  }
  return out;
}
