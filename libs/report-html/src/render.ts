/**
 * report.html: the sim's report as one self-contained page that opens offline. Apache ECharts'
 * minified bundle is inlined from node_modules; the charts' options travel as JSON in a
 * `<script type="application/json">` block that the page's script parses (never as code), and every
 * string of the report is HTML-escaped: a scenario name is a user's input.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { buildCharts, clockLabel, voltageBand, zoneMapHeightPx, type ChartId } from './charts';
import type { CostColumnForHtml, ReportForHtml, ViolationForHtml } from './types';

/** `&`, `<`, `>`, `"` and `'` as entities: safe in text and in quoted attributes. */
export function escapeHtml(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * JSON for a `<script type="application/json">` block: `<`, `>` and `&` as \u escapes, so no
 * `</script>` or `<!--` can end or bend the block; U+2028/2029 too, for any reader that evals it.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

let echartsSource: string | null = null;

/** ECharts' minified bundle, read once from node_modules; `</script` (never in it today) made harmless. */
function echartsBundle(): string {
  if (echartsSource === null) {
    const path = createRequire(import.meta.url).resolve('echarts/dist/echarts.min.js');
    // Inside JS, `</script` can only sit in a string, regex or comment, where `<\/script` means the same.
    echartsSource = readFileSync(path, 'utf8').replace(/<\/(script)/gi, '<\\/$1');
  }
  return echartsSource;
}

/** The page's own script: each chart's options from the JSON block into its container. */
const PAGE_SCRIPT = `(function () {
  var data = JSON.parse(document.getElementById('report-charts').textContent);
  var charts = [];
  Object.keys(data).forEach(function (id) {
    var el = document.getElementById(id);
    if (!el) return;
    var chart = echarts.init(el, null, { renderer: 'canvas' });
    chart.setOption(data[id]);
    charts.push(chart);
  });
  window.addEventListener('resize', function () { charts.forEach(function (c) { c.resize(); }); });
  document.body.setAttribute('data-charts-ready', String(charts.length));
})();`;

const STYLE = `
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; margin: 0; color: #222; background: #fafafa; }
main { max-width: 1180px; margin: 0 auto; padding: 16px 24px 48px; }
h1 { font-size: 1.5rem; margin: 8px 0 4px; }
h2 { font-size: 1.15rem; margin: 0 0 8px; }
section { background: #fff; border: 1px solid #e3e3e3; border-radius: 6px; padding: 14px 18px; margin: 16px 0; }
.chart { width: 100%; }
.note { color: #555; font-size: 0.9rem; margin: 6px 0; }
.missing { color: #8a6d3b; font-style: italic; }
.status-ok { color: #2e7d32; font-weight: 600; }
.status-bad { color: #c62828; font-weight: 600; }
table { border-collapse: collapse; font-size: 0.9rem; }
th, td { padding: 3px 10px; border-bottom: 1px solid #eee; text-align: right; }
th:first-child, td:first-child { text-align: left; }
thead th { border-bottom: 2px solid #ccc; }
tr.total td { font-weight: 600; border-top: 1px solid #999; }
.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr)); gap: 4px 24px; margin: 0; }
.facts div { display: flex; justify-content: space-between; gap: 8px; border-bottom: 1px dotted #ddd; padding: 2px 0; }
.facts dt { color: #555; }
.facts dd { margin: 0; font-variant-numeric: tabular-nums; text-align: right; }
`;

/** A number for a table: fixed decimals with thousands separators; '—' when absent. */
function fmt(x: unknown, digits = 2): string {
  if (typeof x !== 'number' || !Number.isFinite(x)) return '—';
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

const present = (x: unknown) => x !== undefined && x !== null;

/** A titled section: its chart container, or a note saying what the report lacks. */
function chartSection(id: ChartId, title: string, has: boolean, missing: string, extra = '', heightPx = 380): string {
  const body = has ? `<div class="chart" id="${id}" style="height: ${Math.round(heightPx)}px" role="img" aria-label="${escapeHtml(title)}"></div>` : `<p class="missing">${escapeHtml(missing)}</p>`;
  return `<section id="sec-${id.slice('chart-'.length)}">\n<h2>${escapeHtml(title)}</h2>\n${body}\n${extra}</section>\n`;
}

function facts(rows: Array<[string, string | undefined]>): string {
  const kept = rows.filter((r): r is [string, string] => r[1] !== undefined);
  if (kept.length === 0) return '';
  return `<dl class="facts">${kept.map(([k, v]) => `<div><dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd></div>`).join('')}</dl>\n`;
}

function headerBlock(r: ReportForHtml): string {
  const status = r.converged === undefined ? '' : r.converged
    ? `<span class="status-ok">converged</span>`
    : `<span class="status-bad">not converged${r.stalled ? ' (stalled)' : r.roundLimitHit ? ' (round limit)' : ''}</span>`;
  const rounds = present(r.rounds) ? `${r.rounds}${present(r.maxRounds) ? ` of at most ${r.maxRounds}` : ''} rounds` : '';
  const v = r.run?.versions;
  const versions = v ? [v.zonal && `zonal ${v.zonal}`, present(v.protocol) && `protocol ${v.protocol}`, v.node && `node ${v.node}`].filter(Boolean).join(', ') : undefined;
  const opt = (x: unknown, f: (x: number) => string) => (typeof x === 'number' && Number.isFinite(x) ? f(x) : undefined);
  const e = r.emissionsT, p = r.peakShaving, ac = r.ac;
  return `<header>
<h1>Zonal report: ${escapeHtml(r.scenario ?? '(unnamed scenario)')}</h1>
<p class="note">${[
    present(r.method) ? `method ${escapeHtml(r.method)}` : '',
    status, escapeHtml(rounds),
    present(r.seed) ? `seed ${escapeHtml(r.seed)}` : '',
    present(r.runId) ? `run ${escapeHtml(r.runId)}` : '',
    present(r.transport) ? `over ${escapeHtml(r.transport)}` : '',
  ].filter(Boolean).join(' · ')}</p>
<section id="sec-summary">
<h2>Summary</h2>
${facts([
    ['EVs', opt(r.run?.evs, (x) => fmt(x, 0))],
    ['zones', opt(r.run?.zones, (x) => fmt(x, 0))],
    ['periods', opt(r.run?.periods, (x) => `${fmt(x, 0)}${typeof r.run?.dtH === 'number' ? ` × ${r.run.dtH} h` : ''}`)],
    ['versions', versions || undefined],
    ['gap to centralised', r.gapToCentralisedPct === null ? 'no oracle' : opt(r.gapToCentralisedPct, (x) => `${fmt(x, 4)} %`)],
    ['cost reduction by coordination', opt(r.costs?.reductionPct, (x) => `${fmt(x, 1)} %`)],
    ['emissions before', opt(e?.before, (x) => `${fmt(x, 2)} t CO₂`)],
    ['emissions after', opt(e?.after, (x) => `${fmt(x, 2)} t CO₂`)],
    ['carbon quota', opt(e?.quota, (x) => `${fmt(x, 2)} t CO₂`)],
    ['peak load before → after', present(p?.peakLoadBeforeKw) || present(p?.peakLoadAfterKw) ? `${fmt(p?.peakLoadBeforeKw, 0)} → ${fmt(p?.peakLoadAfterKw, 0)} kW` : undefined],
    ['peak purchase before → after', present(p?.peakPurchaseBeforeKw) || present(p?.peakPurchaseAfterKw) ? `${fmt(p?.peakPurchaseBeforeKw, 0)} → ${fmt(p?.peakPurchaseAfterKw, 0)} kW` : undefined],
    ['peak shaving', opt(p?.reductionPct, (x) => `${fmt(x, 1)} %`)],
    ['AC violations after (before)', present(ac?.violations) ? `${fmt(ac?.violations, 0)}${present(r.acBefore?.violations) ? ` (${fmt(r.acBefore?.violations, 0)})` : ''}` : undefined],
    ['AC lowest voltage', opt(ac?.vminPu, (x) => `${fmt(x, 4)} pu${present(ac?.vminBus) ? ` at bus ${ac?.vminBus}` : ''}`)],
    ['AC losses', opt(ac?.lossKwh, (x) => `${fmt(x, 0)} kWh/day`)],
    ['substation rating', opt(r.substation?.ratingKva, (x) => `${fmt(x, 0)} kVA`)],
    ['voltage band', voltageBand(r) ? `${voltageBand(r)!.map((x) => x.toFixed(3)).join('–')} pu` : undefined],
    ['zones that never announced', r.missingZones?.length ? r.missingZones.join(', ') : undefined],
  ])}</section>
</header>
`;
}

const COST_ROWS = ['purchase', 'diesel', 'curtailment', 'carbon', 'demandCharge', 'total', 'penalties', 'degradation'];
const COST_LABELS: Record<string, string> = {
  purchase: 'purchase', diesel: 'diesel', curtailment: 'curtailment', carbon: 'carbon', demandCharge: 'demand charge',
  total: 'total (eq 1)', penalties: 'penalties (soft limits)', degradation: 'EV degradation', totalWithDegradation: 'total + degradation',
};

/** Section 6: the cost table, the eight rows first and then whatever other numeric rows the columns carry. */
function costSection(r: ReportForHtml): string {
  const columns: Array<[string, CostColumnForHtml | null | undefined]> = [
    ['before coordination', r.costs?.beforeCoordination], ['negotiated', r.costs?.negotiated], ['centralised', r.costs?.centralised],
  ];
  const title = '6. Costs (yuan/day)';
  if (columns.every(([, c]) => !c)) return `<section id="sec-costs">\n<h2>${title}</h2>\n<p class="missing">This report has no cost table.</p>\n</section>\n`;
  const extra = [...new Set(columns.flatMap(([, c]) => Object.keys(c ?? {})))]
    .filter((k) => !COST_ROWS.includes(k) && columns.some(([, c]) => typeof c?.[k] === 'number'));
  const rows = [...COST_ROWS, ...extra].map((k) => {
    // Before coordination the EVs charge as they arrive: no degradation is priced (the CLI prints 0).
    const cells = columns.map(([name, c]) => `<td>${c ? fmt(c[k] ?? (k === 'degradation' && name === 'before coordination' ? 0 : undefined)) : '—'}</td>`).join('');
    return `<tr${k === 'total' || k === 'totalWithDegradation' ? ' class="total"' : ''}><td>${escapeHtml(COST_LABELS[k] ?? k)}</td>${cells}</tr>`;
  });
  const note = r.costs?.centralised ? '' : '<p class="note">No centralised column: the report was made without the oracle.</p>\n';
  return `<section id="sec-costs">
<h2>${title}</h2>
<table id="cost-table"><thead><tr><th>row</th>${columns.map(([name]) => `<th>${escapeHtml(name)}</th>`).join('')}</tr></thead>
<tbody>
${rows.join('\n')}
</tbody></table>
${note}</section>
`;
}

function violationTable(r: ReportForHtml): string {
  const after: ViolationForHtml[] = r.violations?.after ?? [];
  const before = r.violations?.before;
  if (!r.violations) return '';
  const count = `${after.length} AC violation${after.length === 1 ? '' : 's'} after coordination${before ? ` (${before.length} before)` : ''}`;
  if (after.length === 0) return `<p class="note">${escapeHtml(count)}.</p>\n`;
  const shown = after.slice(0, 200);
  return `<p class="note">${escapeHtml(count)}${after.length > shown.length ? `; the first ${shown.length} listed` : ''}:</p>
<table id="violation-table"><thead><tr><th>kind</th><th>bus</th><th>time</th><th>value</th><th>limit</th></tr></thead><tbody>
${shown.map((v) => {
    const digits = v.kind === 'vmin' || v.kind === 'vmax' ? 4 : 1;
    const hour = typeof v.hour === 'number' ? clockLabel(v.hour) : `period ${v.period}`;
    return `<tr><td>${escapeHtml(v.kind)}</td><td>${escapeHtml(v.busId)}</td><td>${escapeHtml(hour)}</td><td>${fmt(v.value, digits)}</td><td>${fmt(v.limit, digits)}</td></tr>`;
  }).join('\n')}
</tbody></table>
`;
}

function zoneList(r: ReportForHtml): string {
  const zones = r.zones ?? [];
  if (zones.length === 0) return '';
  const ties = r.tieLines ?? [];
  return `<table id="zone-table"><thead><tr><th>zone</th><th>policy</th><th>EVs</th><th>scheduled</th><th>buses</th></tr></thead><tbody>
${zones.map((z) => `<tr><td>${escapeHtml(z.id)}</td><td>${escapeHtml(z.policy ?? '—')}</td><td>${fmt(z.evs, 0)}</td><td>${fmt(z.scheduledEvs, 0)}</td><td>${escapeHtml((z.buses ?? []).join(', '))}</td></tr>`).join('\n')}
</tbody></table>
${ties.length ? `<p class="note">Tie lines (dashed red): ${escapeHtml(ties.map((t) => `${t.from}–${t.to}${present(t.fromZone) ? ` (zone ${t.fromZone} → ${t.toZone})` : ''}`).join('; '))}. Branch width and colour: highest AC loading of the day (orange past 100 %).</p>\n` : ''}`;
}

function gapNote(r: ReportForHtml): string {
  const gap = typeof r.gapToCentralisedPct === 'number' && Number.isFinite(r.gapToCentralisedPct)
    ? `Gap to the centralised optimum: <strong>${escapeHtml(fmt(r.gapToCentralisedPct, 4))} %</strong>.`
    : 'Gap to the centralised optimum: not computed (no oracle in this run).';
  return `<p class="note">${gap}${r.gapDefinition ? ` Definition: ${escapeHtml(r.gapDefinition)}.` : ''}</p>
${r.gapNote ? `<p class="note">${escapeHtml(r.gapNote)}</p>\n` : ''}`;
}

/** The heat map's height (px): 12 px a bus between 300 and 900. */
function voltageHeightPx(r: ReportForHtml): number {
  return Math.min(900, Math.max(300, 110 + 12 * (r.buses?.length ?? 0)));
}

/** The report as one self-contained HTML page (ECharts inlined, no network fetch). */
export function renderReportHtml(report: ReportForHtml): string {
  const r = report ?? {};
  const charts = buildCharts(r);
  const title = `Zonal report: ${r.scenario ?? '(unnamed scenario)'}`;
  const sections = [
    chartSection('chart-load', '1. Feeder load before and after coordination', !!charts['chart-load'], 'This report has no per-period purchase or load.'),
    chartSection('chart-ev', '2. EV power per zone: agreed and delivered', !!charts['chart-ev'], 'This report has no per-zone EV power per period.'),
    chartSection('chart-voltage', '3. Voltage profile over the day (AC, pu)', !!charts['chart-voltage'], 'This report has no per-bus voltages.', violationTable(r), voltageHeightPx(r)),
    chartSection('chart-map', '4. Zone map of the feeder', !!charts['chart-map'], 'This report has no buses, branches or zones.', zoneList(r), zoneMapHeightPx(r)),
    chartSection('chart-rounds', '5. Negotiation rounds: residuals and gap', !!charts['chart-rounds'], 'This report has no round log.', gapNote(r)),
    costSection(r),
  ];
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${headerBlock(r)}${sections.join('')}</main>
<script type="application/json" id="report-charts">${jsonForScript(charts)}</script>
<script>${echartsBundle()}</script>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}

/** Writes `dir/report.html` (creating `dir`) and returns its path. */
export function writeReportHtml(dir: string, report: ReportForHtml): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'report.html');
  writeFileSync(path, renderReportHtml(report));
  return path;
}
