import { describe, expect, it } from 'vitest';
import { createRng } from '@zonal/core';
import { Fleet, type EvSpec } from '@zonal/ev';
import { advance, energyAfter, matchPieces, sessionPiece, type Piece, type PieceSchedule } from './pieces';
import { earlyDepartures } from './realised';

const grid = { periods: 24, dtH: 1 };
const ev = (id: string, arrivalH: number, departureH: number, socArrival = 0.3): EvSpec => ({
  id, bus: 7, arrivalH, departureH, capacityKwh: 60, pChargeMaxKw: 7, pDischargeMaxKw: 0, eta: 0.95,
  socMin: 0.2, socMax: 1, socArrival, socTarget: 0.9, v2g: false,
});
const flat = (kw: number): PieceSchedule => ({ chargeKw: new Float64Array(24).fill(kw), dischargeKw: new Float64Array(24) });

describe('pieces: a session as the windows of a rolling day see it', () => {
  const fleet = Fleet.fromSpecs([ev('day', 8.5, 17.2), ev('night', 18, 31)]);
  const day = sessionPiece(fleet, 0, grid, { kind: 'realised', index: 0, part: 'stay' })!;
  const night = sessionPiece(fleet, 1, grid, { kind: 'realised', index: 1, part: 'stay' })!;

  it('plug in on whole periods (arrival rounded up, departure down); a stay across 00:00 ends past the grid', () => {
    expect([day.start, day.end, day.eStartKwh, day.eEndKwh]).toEqual([9, 17, 18, 54]);
    expect([night.start, night.end]).toEqual([18, 31]);
  });

  it('advance: gone once ended, unchanged before it starts, else from the boundary with the energy the plan gives it', () => {
    const s = flat(2);
    expect(advance(day, s, 5, 24, 1)).toEqual([day]);
    expect(advance(day, s, 12, 24, 1)).toEqual([{ ...day, start: 12, eStartKwh: 18 + 3 * 2 }]);
    expect(advance(day, s, 17, 24, 1)).toEqual([]);
  });

  it('advance: a stay across 00:00 splits into its morning (to its departure) and its evening (ending at its energy at 00:00)', () => {
    const s = flat(1);
    const e0 = 18 + 6; // six evening periods at 1 kW
    expect(energyAfter(night.eStartKwh, s, 18, 24, 1)).toBe(e0);
    const [morning, evening] = advance(night, s, 3, 24, 1);
    expect(morning).toMatchObject({ start: 3, end: 7, eStartKwh: e0 + 3, eEndKwh: 54, source: { part: 'morning' } });
    expect(evening).toMatchObject({ start: 18, end: 24, eStartKwh: 18, eEndKwh: e0, source: { part: 'evening' } });
    // In the evening the morning is over, and the evening stay has begun.
    expect(advance(night, s, 20, 24, 1)).toEqual([{ ...night, start: 20, end: 24, eStartKwh: 20, eEndKwh: e0, source: { ...night.source, part: 'evening' } }]);
  });

  it('match: a window equal to the expected one as a multiset (ids aside) takes the expected schedules; any difference is off plan', () => {
    const other: Piece = { ...day, ev: { ...day.ev, id: 'someone else' }, source: { kind: 'forecast', index: 4 } };
    const a = flat(1), b = flat(2);
    expect(matchPieces([other, night], [{ piece: night, schedule: b }, { piece: day, schedule: a }])).toEqual([a, b]);
    expect(matchPieces([{ ...day, eStartKwh: 18.001 }], [{ piece: day, schedule: a }])).toBeNull();
    expect(matchPieces([day], [{ piece: day, schedule: a }, { piece: night, schedule: b }])).toBeNull();
  });
});

describe('early departures (issue 12 item 2): seeded, inside the stay, at the declared share', () => {
  const specs = Array.from({ length: 4000 }, (_, i) => ev(String(i), (i * 7.3) % 24, ((i * 7.3) % 24) + 2 + (i % 13)));
  const fleet = Fleet.fromSpecs(specs);
  const leave = earlyDepartures(fleet, grid, 0.2, createRng(5));
  const stays = specs.map((_s, i) => sessionPiece(fleet, i, grid, { kind: 'forecast', index: i }));

  it('leave at the announced departure or at a boundary strictly inside the day\'s part of the stay (the morning, for a stay across 00:00)', () => {
    leave.forEach((b, i) => {
      const p = stays[i]!;
      if (b === p.end) return;
      expect(b, `EV ${i}`).toBeGreaterThan(p.end > 24 ? 24 : p.start);
      expect(b, `EV ${i}`).toBeLessThan(p.end);
    });
  });

  it('about the declared share of those that can leave early do, the same ones for the same seed, none at share 0', () => {
    const can = stays.filter((p) => p!.end - (p!.end > 24 ? 24 : p!.start) > 1).length;
    const early = leave.filter((b, i) => b !== stays[i]!.end).length;
    expect(Math.abs(early / can - 0.2)).toBeLessThan(0.03);
    expect(earlyDepartures(fleet, grid, 0.2, createRng(5))).toEqual(leave);
    expect(earlyDepartures(fleet, grid, 0, createRng(5))).toEqual(stays.map((p) => p!.end));
  });
});
