import type { Rng } from '@zonal/core';
import type { Fleet } from '@zonal/ev';

/**
 * Which of a zone's own users accept the aggregator's offer (seed 003 §3.3, SPEC §7.5): a user accepts
 * CBDR when a uniform draw falls below the willing share at the CBDR incentive, and DBDR likewise with a
 * second draw — only a V2G-enrolled user can (DBDR sells discharge). Two draws per user in fleet order,
 * both always drawn, as samples.ts draws its Monte Carlo users, so the same seed gives the same users
 * whatever the shares.
 *
 * Roles: 'C' accepted CBDR only (controlled, charge-only), 'D' DBDR only, 'CD' both (controlled, V2G);
 * null declined both (charges uncoordinated).
 */
export type UserRole = 'C' | 'D' | 'CD';

export function acceptingUsers(fleet: Fleet, cbdrShare: number, dbdrShare: number, rng: Rng): Array<UserRole | null> {
  const roles: Array<UserRole | null> = [];
  for (let i = 0; i < fleet.size; i++) {
    const uC = rng.next(), uD = rng.next();
    const c = uC < cbdrShare, d = fleet.v2g[i] === 1 && uD < dbdrShare;
    roles.push(c && d ? 'CD' : c ? 'C' : d ? 'D' : null);
  }
  return roles;
}
