import { InputError } from '@zonal/core';
import type { RadialNetwork } from '@zonal/feeder';

/**
 * Cuts a radial feeder into `count` connected zones (bus ids): repeatedly cuts off the subtree, among
 * what is left, whose size is closest to (buses left) / (zones left), ties to the earlier bus in
 * breadth-first order; the slack's remainder is the last zone. A cut subtree is connected because
 * every earlier cut inside it took whole subtrees with it. O(count × buses). `field` names the count in the error (zones, areas).
 */
export function subtreeZones(net: RadialNetwork, count: number, field = 'zones'): number[][] {
  const n = net.nBus;
  if (!Number.isInteger(count) || count < 1 || count > n) throw new InputError(`must be an integer in [1, ${n}], got ${count}`, field);
  const zoneOf = new Int32Array(n).fill(-1);
  const size = new Int32Array(n);
  let left = n;
  for (let z = 0; z < count - 1; z++) {
    size.fill(0);
    for (let i = n - 1; i >= 0; i--) {
      const pos = net.order[i];
      if (zoneOf[pos] >= 0) continue;
      size[pos] += 1;
      if (net.parentPos[pos] >= 0) size[net.parentPos[pos]] += size[pos];
    }
    const target = left / (count - z);
    let best = -1;
    for (let i = 1; i < n; i++) {
      const pos = net.order[i];
      if (zoneOf[pos] < 0 && (best < 0 || Math.abs(size[pos] - target) < Math.abs(size[best] - target))) best = pos;
    }
    // Breadth-first order puts a parent before its children: one pass marks the subtree.
    for (let i = 0; i < n; i++) {
      const pos = net.order[i];
      if (zoneOf[pos] < 0 && (pos === best || (net.parentPos[pos] >= 0 && zoneOf[net.parentPos[pos]] === z))) zoneOf[pos] = z;
    }
    left -= size[best];
  }
  for (let pos = 0; pos < n; pos++) if (zoneOf[pos] < 0) zoneOf[pos] = count - 1;
  const zones: number[][] = Array.from({ length: count }, () => []);
  net.feeder.buses.forEach((b, pos) => zones[zoneOf[pos]].push(b.id));
  return zones.map((z) => z.sort((a, b) => a - b));
}
