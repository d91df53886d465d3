import { describe, expect, it } from 'vitest';
import { hostPermissions, zonePermissions } from './server-config';

describe('hostPermissions', () => {
  it('is the union of its zones\' rights, with its own reply inbox instead of theirs', () => {
    const host = hostPermissions('a', [1, 3]);
    expect(host.publish).toEqual(['zonal.*.zone.1.announce', 'zonal.*.zone.3.announce']);
    expect(host.subscribe).toEqual(['zonal.*.zone.1.solve', 'zonal.*.zone.1.window', 'zonal.*.zone.1.area', 'zonal.*.control', 'zonal.*.dso.status', 'zonal.*.zone.3.solve', 'zonal.*.zone.3.window', 'zonal.*.zone.3.area', '_INBOX_host-a.>']);
    expect(host.allowResponses).toBe(true);
    // Nothing of zone 2, and no zone's own inbox.
    expect([...host.publish, ...host.subscribe].some((s) => s.includes('.2.') || s.startsWith('_INBOX_zone'))).toBe(false);
    expect(hostPermissions('a', [1]).publish).toEqual(zonePermissions(1).publish);
  });
});
