import { describe, expect, it } from 'vitest';
import { dateOfDay, dayOfDate, parseClockText } from './clock-text';
import { csvRecords } from './csv';

const fail = (message: string): never => { throw new Error(message); };

describe('clock text', () => {
  it('reads decimal hours, HH:MM[:SS] and local date-times', () => {
    expect(parseClockText('17:36', fail)).toEqual({ h: 17.6, day: null, text: '17:36' });
    expect(parseClockText(31.25, fail)).toEqual({ h: 31.25, day: null, text: '31.25' });
    expect(parseClockText('2026-12-05 07:15:36', fail)).toEqual({ h: (7 * 3600 + 15 * 60 + 36) / 3600, day: dayOfDate('2026-12-05'), text: '2026-12-05 07:15:36' });
  });

  it('refuses a UTC offset in every spelling, saying to write local time', () => {
    for (const t of ['2026-12-05T17:36:00Z', '2026-12-05T17:36Z', '2026-12-05T17:36:00+08:00', '2026-12-05 17:36:00.000-0700', '2026-12-05T17:36:00 +01']) {
      expect(() => parseClockText(t, fail), t).toThrow(/carries a UTC offset: times are the local clock of the scenario's day/);
    }
  });

  it('converts dates both ways and knows which do not exist', () => {
    expect(dateOfDay(dayOfDate('2018-04-25') as number)).toBe('2018-04-25');
    expect(dayOfDate('2026-02-29')).toBeUndefined();
    expect(dayOfDate('2026-2-3')).toBeUndefined();
  });
});

describe('csv records', () => {
  it('drops a BOM, skips blank lines and keeps the line each record starts on', () => {
    expect(csvRecords('\uFEFFa,b\r\n\r\n"x\ny",2\n', 'f.csv')).toEqual([{ line: 1, cells: ['a', 'b'] }, { line: 3, cells: ['x\ny', '2'] }]);
  });
});
