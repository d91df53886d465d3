/**
 * The report's charts as Apache ECharts options: plain data (no callbacks), built here so that they
 * are typed and unit-tested, and embedded in the page as JSON for the page's few lines of script to
 * hand to `echarts.init(…).setOption(…)`.
 */
import type { EChartsOption } from 'echarts';
import type { ReportForHtml, ViolationForHtml } from './types';

/** Zone colours, shared by the EV chart and the zone map (no red: red marks tie lines and violations). */
export const ZONE_COLOURS = ['#4e79a7', '#f28e2b', '#59a14f', '#b07aa1', '#76b7b2', '#edc948', '#9c755f', '#ff9da7', '#bab0ac'];
const TIE_COLOUR = '#d62728';
const NO_ZONE_COLOUR = '#cccccc';

/** The charts the page holds, by the id of their container. */
export type ChartId = 'chart-load' | 'chart-ev' | 'chart-voltage' | 'chart-map' | 'chart-rounds';
export type ReportCharts = Partial<Record<ChartId, EChartsOption>>;

export function buildCharts(report: ReportForHtml): ReportCharts {
  const charts: ReportCharts = {};
  const put = (id: ChartId, option: EChartsOption | null) => { if (option) charts[id] = option; };
  put('chart-load', loadChart(report));
  put('chart-ev', evChart(report));
  put('chart-voltage', voltageChart(report));
  put('chart-map', zoneMap(report));
  put('chart-rounds', roundsChart(report));
  return charts;
}

/** "HH:MM" of a time in hours from 00:00 (periods may be a quarter of an hour). */
export function clockLabel(hour: number): string {
  const minutes = Math.round(hour * 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;
}

/** A finite number rounded for the page, else null (a gap in a line, never NaN in the JSON). */
function num(x: unknown, digits = 3): number | null {
  if (typeof x !== 'number' || !Number.isFinite(x)) return null;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Start hour of each of `count` periods: the report's `hour`, else period × dtH (1 h when unknown). */
function periodHours(report: ReportForHtml, count: number): number[] {
  const dtH = report.run?.dtH && report.run.dtH > 0 ? report.run.dtH : 1;
  const periods = report.periods ?? [];
  return Array.from({ length: count }, (_, t) => {
    const p = periods[t];
    return typeof p?.hour === 'number' ? p.hour : (p?.period ?? t) * dtH;
  });
}

const timeAxis = (labels: string[]) => ({ type: 'category' as const, data: labels, name: 'time (HH:MM)', nameLocation: 'middle' as const, nameGap: 28 });

/** Section 1: purchase and load after (and before, when the report has it) coordination, with the substation rating. */
export function loadChart(report: ReportForHtml): EChartsOption | null {
  const periods = report.periods ?? [];
  if (periods.length === 0) return null;
  const labels = periodHours(report, periods.length).map(clockLabel);
  const series: NonNullable<EChartsOption['series']> & unknown[] = [];
  const line = (name: string, data: Array<number | null>, colour: string, dashed: boolean) => {
    if (data.every((v) => v === null)) return;
    series.push({ type: 'line', name, data, showSymbol: false, itemStyle: { color: colour }, lineStyle: { color: colour, width: 2, type: dashed ? 'dashed' : 'solid' } });
  };
  line('grid purchase, after', periods.map((p) => num(p.purchaseKw)), '#1f77b4', false);
  line('grid purchase, before', periods.map((p) => num(p.purchaseBeforeKw)), '#1f77b4', true);
  line('load, after', periods.map((p) => num(p.loadKw)), '#2ca02c', false);
  line('load, before', periods.map((p) => num(p.loadBeforeKw)), '#2ca02c', true);
  const rating = num(report.substation?.ratingKva);
  if (rating !== null) line('substation rating (kVA)', periods.map(() => rating), TIE_COLOUR, true);
  if (series.length === 0) return null;
  return {
    animation: false,
    tooltip: { trigger: 'axis' },
    legend: { top: 0 },
    grid: { left: 70, right: 30, top: 40, bottom: 50 },
    xAxis: timeAxis(labels),
    yAxis: { type: 'value', name: 'power (kW; rating in kVA)', nameLocation: 'middle', nameGap: 55 },
    series,
  };
}

/** Section 2: each zone's EV power, agreed with the DSO (dashed) and delivered by its EVs (solid). */
export function evChart(report: ReportForHtml): EChartsOption | null {
  const periods = report.periods ?? [];
  const ids: number[] = [];
  for (const p of periods) for (const z of p.zones ?? []) if (!ids.includes(z.id)) ids.push(z.id);
  if (ids.length === 0) return null;
  const labels = periodHours(report, periods.length).map(clockLabel);
  const colourOf = zoneColourIndex(report);
  const series = ids.flatMap((id) => {
    const colour = colourOf(id);
    const at = (key: 'agreedKw' | 'deliveredKw') => periods.map((p) => num(p.zones?.find((z) => z.id === id)?.[key]));
    return (['agreedKw', 'deliveredKw'] as const).map((key) => ({
      type: 'line' as const, name: `zone ${id} ${key === 'agreedKw' ? 'agreed' : 'delivered'}`, data: at(key), showSymbol: false,
      itemStyle: { color: colour }, lineStyle: { color: colour, width: 2, type: key === 'agreedKw' ? 'dashed' as const : 'solid' as const },
    }));
  });
  return {
    animation: false,
    tooltip: { trigger: 'axis' },
    legend: { top: 0, type: 'scroll' },
    grid: { left: 70, right: 30, top: 40, bottom: 50 },
    xAxis: timeAxis(labels),
    yAxis: { type: 'value', name: 'EV power (kW)', nameLocation: 'middle', nameGap: 55 },
    series,
  };
}

/** The colour of a zone id: by its place in the report's zone list (else in the order first met). */
function zoneColourIndex(report: ReportForHtml): (id: number) => string {
  const order = (report.zones ?? []).map((z) => z.id);
  return (id) => {
    if (!order.includes(id)) order.push(id);
    return ZONE_COLOURS[order.indexOf(id) % ZONE_COLOURS.length];
  };
}

/** A valid voltage band [lo, hi] (pu), or null. */
export function voltageBand(report: ReportForHtml): [number, number] | null {
  const b = report.voltageBandPu;
  if (!b || b.length !== 2) return null;
  const [lo, hi] = b;
  return Number.isFinite(lo) && Number.isFinite(hi) && lo < hi ? [lo, hi] : null;
}

const VIOLATION_MARKS: Record<string, { symbol: string; rotate: number; label: string }> = {
  vmin: { symbol: 'triangle', rotate: 180, label: 'under-voltage' },
  vmax: { symbol: 'triangle', rotate: 0, label: 'over-voltage' },
  rating: { symbol: 'diamond', rotate: 0, label: 'branch overload (into bus)' },
  substation: { symbol: 'rect', rotate: 0, label: 'substation overload' },
};

/** Band colours, low to high (a sequential scale; red below the band, purple above it). */
const BAND_COLOURS = ['#fde725', '#b5de2b', '#6ece58', '#35b779', '#1f9e89', '#26828e', '#31688e', '#3e4989'];

/** Section 3: bus × period heat map of the AC voltage, with the band and the violations after coordination. */
export function voltageChart(report: ReportForHtml): EChartsOption | null {
  const buses = (report.buses ?? []).filter((b) => Array.isArray(b.vmPu));
  const count = Math.max(0, ...buses.map((b) => b.vmPu.length));
  if (buses.length === 0 || count === 0) return null;
  const labels = periodHours(report, count).map(clockLabel);
  const data: Array<[number, number, number]> = [];
  let lo = Infinity, hi = -Infinity;
  buses.forEach((b, j) => b.vmPu.forEach((v, t) => {
    const x = num(v, 5);
    if (x === null) return;
    data.push([t, j, x]);
    lo = Math.min(lo, x); hi = Math.max(hi, x);
  }));
  if (data.length === 0) return null;
  const band = voltageBand(report);
  const visualMap = band
    ? {
      type: 'piecewise' as const, seriesIndex: 0, orient: 'vertical' as const, right: 0, top: 'middle' as const, itemWidth: 14, itemHeight: 10,
      pieces: [
        { lt: band[0], label: `< ${band[0].toFixed(3)} (below band)`, color: TIE_COLOUR },
        ...BAND_COLOURS.map((color, k, all) => {
          const w = (band[1] - band[0]) / all.length, a = band[0] + k * w, b = a + w;
          return k === all.length - 1 ? { gte: a, lte: band[1], label: `${a.toFixed(3)}–${b.toFixed(3)}`, color } : { gte: a, lt: b, label: `${a.toFixed(3)}–${b.toFixed(3)}`, color };
        }),
        { gt: band[1], label: `> ${band[1].toFixed(3)} (above band)`, color: '#7b3294' },
      ],
    }
    : {
      type: 'continuous' as const, seriesIndex: 0, orient: 'vertical' as const, right: 0, top: 'middle' as const, calculable: true,
      min: Math.floor(lo * 200) / 200, max: Math.max(Math.ceil(hi * 200) / 200, Math.floor(lo * 200) / 200 + 0.005),
      text: ['V (pu)', ''], inRange: { color: [...BAND_COLOURS] },
    };
  const rowOf = new Map(buses.map((b, j) => [b.bus, j]));
  const marks = violationSeries(report.violations?.after ?? [], rowOf, count);
  return {
    animation: false,
    tooltip: { position: 'top' },
    legend: marks.length ? { top: 0, data: marks.map((m) => m.name) } : undefined,
    grid: { left: 70, right: band ? 190 : 110, top: marks.length ? 40 : 20, bottom: 50 },
    xAxis: { ...timeAxis(labels), splitArea: { show: false } },
    yAxis: { type: 'category', data: buses.map((b) => String(b.bus)), name: 'bus', nameLocation: 'middle', nameGap: 40, inverse: true },
    visualMap,
    series: [
      { type: 'heatmap', name: 'AC voltage (pu)', data, emphasis: { itemStyle: { borderColor: '#000', borderWidth: 1 } } },
      ...marks,
    ],
  };
}

/** One scatter series per violation kind, on the heat map's cells (period, bus). */
function violationSeries(violations: ViolationForHtml[], rowOf: Map<number, number>, count: number) {
  const kinds = [...new Set(violations.map((v) => v.kind))];
  return kinds.flatMap((kind) => {
    const mark = VIOLATION_MARKS[kind] ?? { symbol: 'circle', rotate: 0, label: kind };
    const data = violations
      .filter((v) => v.kind === kind && rowOf.has(v.busId) && v.period >= 0 && v.period < count)
      .map((v) => [v.period, rowOf.get(v.busId) as number, num(v.value, 5), num(v.limit, 5)]);
    if (data.length === 0) return [];
    return [{
      type: 'scatter' as const, name: `${mark.label}, after`, data, symbol: mark.symbol, symbolRotate: mark.rotate, symbolSize: 13,
      itemStyle: { color: '#000000', borderColor: '#ffffff', borderWidth: 1.5 }, z: 5,
    }];
  });
}

/**
 * Positions of a radial feeder as a one-line diagram: x is the depth from the root (bus 1, else the
 * first bus), the child with the deepest subtree stays on its parent's row and every other child
 * opens a new row below. Laterals nearer the root take rows further down, so no two edges cross.
 * Buses not reached from the root get a row of their own at the end.
 */
export function feederLayout(busIds: number[], edges: Array<{ from: number; to: number }>): Map<number, { x: number; y: number }> {
  const adjacent = new Map<number, number[]>(busIds.map((b) => [b, []]));
  for (const { from, to } of edges) {
    if (!adjacent.has(from)) adjacent.set(from, []);
    if (!adjacent.has(to)) adjacent.set(to, []);
    adjacent.get(from)!.push(to);
    adjacent.get(to)!.push(from);
  }
  const all = [...adjacent.keys()].sort((a, b) => a - b);
  const pos = new Map<number, { x: number; y: number }>();
  if (all.length === 0) return pos;
  const root = adjacent.has(1) ? 1 : all[0];
  // BFS tree from the root (a meshed tie closes no loop in the layout: first visit wins).
  const children = new Map<number, number[]>();
  const seen = new Set([root]);
  const order = [root];
  for (let i = 0; i < order.length; i++) {
    const b = order[i];
    const kids = adjacent.get(b)!.filter((c) => !seen.has(c)).sort((x, y) => x - y);
    for (const c of kids) seen.add(c);
    children.set(b, kids);
    order.push(...kids);
  }
  // Subtree heights, leaves first (reverse BFS order).
  const height = new Map<number, number>();
  for (const b of [...order].reverse()) height.set(b, 1 + Math.max(0, ...children.get(b)!.map((c) => height.get(c)!)));
  const heightOf = (b: number) => height.get(b)!;
  // Depth-first, iteratively (a deep feeder would overflow recursion). A lateral takes the next free
  // row only when it is popped, after its trunk sibling's whole subtree: laterals nearer the root
  // get rows further down, and a lateral's own laterals sit between it and the next one.
  let nextRow = 1;
  const stack: Array<{ bus: number; x: number; row: number | 'new' }> = [{ bus: root, x: 0, row: 0 }];
  while (stack.length) {
    const e = stack.pop()!;
    const row = e.row === 'new' ? nextRow++ : e.row;
    pos.set(e.bus, { x: e.x, y: row });
    const kids = [...children.get(e.bus)!].sort((a, b) => heightOf(b) - heightOf(a) || a - b);
    for (let k = kids.length - 1; k >= 1; k--) stack.push({ bus: kids[k], x: e.x + 1, row: 'new' });
    if (kids.length) stack.push({ bus: kids[0], x: e.x + 1, row });
  }
  for (const b of all) if (!pos.has(b)) pos.set(b, { x: 0, y: nextRow++ });
  return pos;
}

/** Every bus the map shows: of the voltage table, the zones, the branches and the tie lines. */
function mapBuses(report: ReportForHtml): Set<number> {
  const ids = new Set<number>();
  for (const b of report.buses ?? []) ids.add(b.bus);
  for (const z of report.zones ?? []) for (const b of z.buses ?? []) ids.add(b);
  for (const e of [...(report.branches ?? []), ...(report.tieLines ?? [])]) { ids.add(e.from); ids.add(e.to); }
  return ids;
}

/** The map's height (px): legend and margins, then about 75 px between rows of the one-line diagram. */
export function zoneMapHeightPx(report: ReportForHtml): number {
  const pos = feederLayout([...mapBuses(report)], report.branches ?? []);
  const rows = 1 + Math.max(0, ...[...pos.values()].map((p) => p.y));
  return Math.min(900, Math.max(200, 110 + 75 * (rows - 1)));
}

/** Section 4: the feeder's buses coloured by zone, branches by loading, tie lines highlighted. */
export function zoneMap(report: ReportForHtml): EChartsOption | null {
  const branches = report.branches ?? [];
  const zones = report.zones ?? [];
  const ties = report.tieLines ?? [];
  const ids = mapBuses(report);
  if (ids.size === 0) return null;
  const zoneOf = new Map<number, number>();
  zones.forEach((z, k) => { for (const b of z.buses ?? []) zoneOf.set(b, k); });
  const isTie = (a: number, b: number) => ties.some((t) => (t.from === a && t.to === b) || (t.from === b && t.to === a));
  const pos = feederLayout([...ids], branches);
  const categories = [
    ...zones.map((z, k) => ({ name: `zone ${z.id}${z.policy ? ` (${z.policy})` : ''}`, itemStyle: { color: ZONE_COLOURS[k % ZONE_COLOURS.length] } })),
    ...([...ids].some((b) => !zoneOf.has(b)) ? [{ name: 'no zone', itemStyle: { color: NO_ZONE_COLOUR } }] : []),
  ];
  const nodes = [...ids].sort((a, b) => a - b).map((b) => ({
    id: String(b), name: `bus ${b}`, x: pos.get(b)!.x * 60, y: pos.get(b)!.y * 70,
    category: zoneOf.has(b) ? zoneOf.get(b)! : categories.length - 1,
    label: { show: true, position: 'inside' as const, formatter: String(b), fontSize: 10 },
  }));
  const maxLoading = (l?: number[]) => {
    const xs = (l ?? []).filter((v) => Number.isFinite(v));
    return xs.length ? Math.max(...xs) : null;
  };
  const links = branches.map((br) => {
    const peak = maxLoading(br.loadingPct);
    const tie = isTie(br.from, br.to);
    const overloaded = peak !== null && peak > 100;
    return {
      source: String(br.from), target: String(br.to), value: num(peak, 1) ?? undefined,
      lineStyle: tie
        ? { color: TIE_COLOUR, width: 5, type: 'dashed' as const, opacity: 1 }
        : { color: overloaded ? '#ff7f0e' : '#666666', width: 1.5 + 3 * Math.min(peak ?? 0, 150) / 150, opacity: 0.9 },
      ...(tie ? { label: { show: true, formatter: tieLabel(ties, br.from, br.to), color: TIE_COLOUR, fontWeight: 'bold' as const } } : {}),
    };
  });
  // A tie line that is not a branch of the table (a normally-open switch) still shows.
  for (const t of ties) {
    if (branches.some((br) => (br.from === t.from && br.to === t.to) || (br.from === t.to && br.to === t.from))) continue;
    links.push({
      source: String(t.from), target: String(t.to), value: undefined,
      lineStyle: { color: TIE_COLOUR, width: 5, type: 'dashed' as const, opacity: 1 },
      label: { show: true, formatter: tieLabel(ties, t.from, t.to), color: TIE_COLOUR, fontWeight: 'bold' as const },
    });
  }
  return {
    animation: false,
    tooltip: {},
    legend: { top: 0, data: categories.map((c) => c.name) },
    series: [{
      type: 'graph', layout: 'none', roam: true, top: 50, bottom: 20, left: 30, right: 30,
      symbolSize: 20, categories, data: nodes, links,
      edgeLabel: { fontSize: 11 },
      emphasis: { focus: 'adjacency' },
    }],
  };
}

function tieLabel(ties: NonNullable<ReportForHtml['tieLines']>, a: number, b: number): string {
  const t = ties.find((x) => (x.from === a && x.to === b) || (x.from === b && x.to === a))!;
  return t.fromZone !== undefined && t.toZone !== undefined ? `tie ${t.fromZone}→${t.toZone}` : 'tie';
}

/** Section 5: residuals per round (log scale, kW) and the DSO's cost estimate (yuan). */
export function roundsChart(report: ReportForHtml): EChartsOption | null {
  const log = report.roundLog ?? [];
  if (log.length === 0) return null;
  const positive = (x: unknown) => { const v = num(x, 6); return v !== null && v > 0 ? v : null; };
  const primal = log.map((r) => positive(r.primalResidualKw));
  const dual = log.map((r) => positive(r.dualResidualKw));
  const cost = log.map((r) => num(r.totalCostYuan, 2));
  const anyResidual = [...primal, ...dual].some((v) => v !== null);
  return {
    animation: false,
    tooltip: { trigger: 'axis' },
    legend: { top: 0 },
    grid: { left: 70, right: 90, top: 40, bottom: 50 },
    xAxis: { type: 'category', data: log.map((r) => String(r.round)), name: 'round', nameLocation: 'middle', nameGap: 28 },
    yAxis: [
      { type: anyResidual ? 'log' : 'value', name: 'residual (kW, log scale)', nameLocation: 'middle', nameGap: 55 },
      { type: 'value', name: 'total cost (yuan)', nameLocation: 'middle', nameGap: 70, scale: true, splitLine: { show: false } },
    ],
    series: [
      { type: 'line', name: 'primal residual', data: primal, yAxisIndex: 0, symbolSize: 6, itemStyle: { color: '#1f77b4' } },
      { type: 'line', name: 'dual residual', data: dual, yAxisIndex: 0, symbolSize: 6, itemStyle: { color: '#ff7f0e' } },
      { type: 'line', name: 'total cost', data: cost, yAxisIndex: 1, symbolSize: 6, itemStyle: { color: '#2ca02c' }, lineStyle: { type: 'dotted' } },
    ],
  };
}
