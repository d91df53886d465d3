/**
 * The boundary the coordinator sees (SPEC §8: each cut line's P, Q and squared voltage per period):
 * one consensus variable per cut line, period and quantity, plus one per contributing area's carbon
 * excess. Built from the areas' own declarations alone and checked for consistency: every cut line
 * declared once by each end's area, one carbon owner, one time grid.
 */
import { InputError } from '@zonal/core';
import type { AreaBoundary } from './areas';

/** The four quantities of a cut line per period, in this order in every copy list. */
export const LINE_QUANTITIES = ['P', 'Q', 'Wfrom', 'Wto'] as const;
export type LineQuantity = (typeof LINE_QUANTITIES)[number];

export interface BoundaryLine {
  from: number;
  to: number;
  fromArea: number;
  toArea: number;
  wScaleKwPerPu2: number;
}

export interface BoundaryIndex {
  periods: number;
  dtH: number;
  lines: BoundaryLine[];
  carbonOwner: number;
  carbonContributors: number[];
  /** Number of consensus variables. */
  size: number;
  /** Per consensus variable: kW (or kW-equivalents) per unit of its quantity, so residuals are in kW. */
  scale: Float64Array;
  /** Per consensus variable: its weight in the proximal term (the period length for per-period quantities). */
  weightH: Float64Array;
  /** Per area id: the consensus variable of each of its copies, in the area's copy order (`copyOrder`). */
  copies: Map<number, Int32Array>;
  /** Per consensus variable: a readable name (`P(6-26,t13)`, `carbon(area 3)`). */
  name(g: number): string;
}

/**
 * An area's copies in order: for each cut line it declares (in its order), each period, the four
 * line quantities; then the carbon copies (its own excess, or one per contributor for the owner).
 */
export function copyOrder(b: AreaBoundary): Array<{ line: number; t: number; q: LineQuantity } | { carbonOf: number }> {
  const out: Array<{ line: number; t: number; q: LineQuantity } | { carbonOf: number }> = [];
  b.cutLines.forEach((_l, line) => { for (let t = 0; t < b.periods; t++) for (const q of LINE_QUANTITIES) out.push({ line, t, q }); });
  if (b.carbon === 'contributor') out.push({ carbonOf: b.areaId });
  else for (const a of b.carbonContributors) out.push({ carbonOf: a });
  return out;
}

const key = (from: number, to: number) => `${from}-${to}`;

export function boundaryIndex(declared: readonly AreaBoundary[], carbonScaleKwPerT: number): BoundaryIndex {
  if (!declared.length) throw new InputError('no areas declared a boundary', 'areas');
  const { periods, dtH } = declared[0];
  for (const b of declared) {
    if (b.periods !== periods || Math.abs(b.dtH - dtH) > 1e-12) {
      throw new InputError(`runs ${b.periods} periods of ${b.dtH} h, area ${declared[0].areaId} ${periods} of ${dtH} h`, `area ${b.areaId}`);
    }
  }
  const ids = new Set<number>();
  for (const b of declared) {
    if (ids.has(b.areaId)) throw new InputError(`area ${b.areaId} declared its boundary twice`, 'areas');
    ids.add(b.areaId);
  }

  const ends = new Map<string, { from?: { area: number; w: number }; to?: { area: number; w: number } }>();
  for (const b of declared) {
    for (const l of b.cutLines) {
      if (l.from === l.to) throw new InputError(`cut line ${key(l.from, l.to)} joins a bus to itself`, `area ${b.areaId}`);
      const e = ends.get(key(l.from, l.to)) ?? {};
      const end = e[l.ownEnd];
      if (end) throw new InputError(`cut line ${key(l.from, l.to)}: both area ${end.area} and area ${b.areaId} hold its ${l.ownEnd} end (bus ${l.ownEnd === 'from' ? l.from : l.to})`, `area ${b.areaId}`);
      e[l.ownEnd] = { area: b.areaId, w: l.wScaleKwPerPu2 };
      ends.set(key(l.from, l.to), e);
    }
  }
  const unpaired = [...ends].filter(([, e]) => !e.from || !e.to).map(([k, e]) => {
    const [from, to] = k.split('-').map(Number);
    return e.from ? `${k} (declared by area ${e.from.area} only: no area holds its to end, bus ${to})` : `${k} (declared by area ${e.to!.area} only: no area holds its from end, bus ${from})`;
  });
  if (unpaired.length) {
    throw new InputError(`cut line${unpaired.length > 1 ? 's' : ''} ${unpaired.join(', ')}`, 'areas', 'every cut line needs the area on each side to declare it');
  }
  const lines: BoundaryLine[] = [];
  const lineOf = new Map<string, number>();
  for (const [k, e] of ends) {
    const [from, to] = k.split('-').map(Number);
    if (!e.from || !e.to) continue;
    if (e.from.area === e.to.area) throw new InputError(`cut line ${k} has both ends in area ${e.from.area}: it is not a cut line`, `area ${e.from.area}`);
    if (!(e.from.w > 0) || Math.abs(e.from.w - e.to.w) > 1e-9 * e.from.w) {
      throw new InputError(`cut line ${k}: its two areas declare voltage scales ${e.from.w} and ${e.to.w}`, `area ${e.to.area}`);
    }
    lineOf.set(k, lines.length);
    lines.push({ from, to, fromArea: e.from.area, toArea: e.to.area, wScaleKwPerPu2: e.from.w });
  }

  const owners = declared.filter((b) => b.carbon === 'owner');
  if (owners.length !== 1) throw new InputError(`${owners.length} areas own the carbon ladder (${owners.map((b) => b.areaId).join(', ') || 'none'}); exactly one (the root area) must`, 'areas');
  const owner = owners[0];
  const contributors = declared.filter((b) => b.carbon === 'contributor').map((b) => b.areaId).sort((a, b) => a - b);
  const listed = [...owner.carbonContributors].sort((a, b) => a - b);
  if (listed.join(',') !== contributors.join(',')) {
    throw new InputError(`holds carbon copies of areas [${listed.join(', ')}], but areas [${contributors.join(', ')}] contribute`, `area ${owner.areaId}`);
  }

  const nLine = lines.length * periods * LINE_QUANTITIES.length;
  const size = nLine + contributors.length;
  const scale = new Float64Array(size), weightH = new Float64Array(size);
  lines.forEach((l, li) => {
    for (let t = 0; t < periods; t++) {
      LINE_QUANTITIES.forEach((q, qi) => {
        const g = (li * periods + t) * LINE_QUANTITIES.length + qi;
        scale[g] = q === 'P' || q === 'Q' ? 1 : l.wScaleKwPerPu2;
        weightH[g] = dtH;
      });
    }
  });
  const carbonG = new Map(contributors.map((a, i) => [a, nLine + i]));
  for (const g of carbonG.values()) { scale[g] = carbonScaleKwPerT; weightH[g] = dtH; }

  const copies = new Map<number, Int32Array>();
  for (const b of declared) {
    copies.set(b.areaId, Int32Array.from(copyOrder(b), (c) => {
      if ('carbonOf' in c) return carbonG.get(c.carbonOf)!;
      const l = b.cutLines[c.line];
      return (lineOf.get(key(l.from, l.to))! * periods + c.t) * LINE_QUANTITIES.length + LINE_QUANTITIES.indexOf(c.q);
    }));
  }
  const name = (g: number) => {
    if (g >= nLine) return `carbon(area ${contributors[g - nLine]})`;
    const qi = g % LINE_QUANTITIES.length, rest = (g - qi) / LINE_QUANTITIES.length;
    const t = rest % periods, li = (rest - t) / periods;
    return `${LINE_QUANTITIES[qi]}(${key(lines[li].from, lines[li].to)},t${t})`;
  };
  return { periods, dtH, lines, carbonOwner: owner.areaId, carbonContributors: contributors, size, scale, weightH, copies, name };
}
