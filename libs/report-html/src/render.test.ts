import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureReport, fixtureWithNewFields } from '../test/fixture';
import { escapeHtml, jsonForScript, renderReportHtml, writeReportHtml } from './render';
import type { ReportForHtml } from './types';

/** The charts' options as the page will parse them from its JSON block. */
function embeddedCharts(html: string): Record<string, { series: Array<{ name?: string; type: string; data?: unknown[] }> }> {
  const m = /<script type="application\/json" id="report-charts">([\s\S]*?)<\/script>/.exec(html);
  expect(m, 'the page holds its charts as a JSON block').not.toBeNull();
  return JSON.parse(m![1]);
}

/** The page less the inlined ECharts bundle (its first plain <script>): what this lib wrote itself. */
function ownPart(html: string): string {
  return html.replace(/<script>[\s\S]*?<\/script>/, '<script>/* echarts */</script>');
}

/** Whether `text` holds `s`, as a boolean: a failure must not print a megabyte of page. */
const has = (text: string, s: string) => text.includes(s);

const SECTIONS = ['sec-summary', 'sec-load', 'sec-ev', 'sec-voltage', 'sec-map', 'sec-rounds', 'sec-costs'];
const CHARTS = ['chart-load', 'chart-ev', 'chart-voltage', 'chart-map', 'chart-rounds'];

describe('renderReportHtml', () => {
  const html = renderReportHtml(fixtureReport());

  it('holds every section and one container per chart, each with its options', () => {
    for (const id of SECTIONS) expect(has(html, `<section id="${id}">`), `<section id="${id}">`).toBe(true);
    for (const id of CHARTS) expect(has(html, `id="${id}"`), `id="${id}"`).toBe(true);
    expect(Object.keys(embeddedCharts(html)).sort()).toEqual([...CHARTS].sort());
  });

  it('is self-contained: ECharts inlined, nothing fetched from anywhere', () => {
    expect(/<script>[^<]*echarts/i.test(html), 'the ECharts bundle in a plain <script>').toBe(true);
    expect(html.length, 'the minified ECharts bundle is inlined').toBeGreaterThan(500_000);
    const own = ownPart(html);
    expect(/<(script|img|iframe)[^>]+src=/i.test(own), 'an element with src').toBe(false);
    expect(/<link[^>]+href=/i.test(own), 'a linked stylesheet').toBe(false);
    expect(/(src|href)\s*=\s*["']?(https?:)?\/\//i.test(own), 'a URL').toBe(false);
    expect(/@import|url\(/i.test(own), 'a CSS import or url()').toBe(false);
    // Exactly three scripts: the data block, ECharts, the page's own; nothing can close one early.
    expect(html.match(/<script\b/gi)).toHaveLength(3);
    expect(html.match(/<\/script>/gi)).toHaveLength(3);
  });

  it('shows the header figures and the cost table with its eight rows and three columns', () => {
    expect(has(html, 'Zonal report: default'), 'Zonal report: default').toBe(true);
    expect(has(html, 'seed 20251123'), 'seed 20251123').toBe(true);
    expect(has(html, 'method admm'), 'method admm').toBe(true);
    expect(has(html, 'converged'), 'converged').toBe(true);
    expect(has(html, '3 of at most 300 rounds'), '3 of at most 300 rounds').toBe(true);
    expect(has(html, '3,000'), '3,000').toBe(true); // EVs
    expect(has(html, '32.09 t CO₂'), '32.09 t CO₂').toBe(true); // emissions before
    const table = /<table id="cost-table">([\s\S]*?)<\/table>/.exec(html)![1];
    for (const row of ['purchase', 'diesel', 'curtailment', 'carbon', 'demand charge', 'total (eq 1)', 'penalties (soft limits)', 'EV degradation', 'total + degradation']) {
      expect(table, `cost row ${row}`).toContain(`<td>${row}</td>`);
    }
    // README: purchase before 52,862.38, negotiated 33,042.79, centralised 33,064.20.
    expect(table).toMatch(/<td>purchase<\/td><td>52,862.38<\/td><td>33,042.79<\/td><td>33,064.20<\/td>/);
    expect(has(html, '0.0674 %'), '0.0674 %').toBe(true);
  });

  it('draws the per-period, per-zone and per-bus data the report holds', () => {
    const charts = embeddedCharts(html);
    const load = charts['chart-load'].series.map((s) => s.name);
    expect(load).toEqual(['grid purchase, after', 'load, after']);
    expect(charts['chart-ev'].series).toHaveLength(8); // 4 zones × agreed, delivered
    const heat = charts['chart-voltage'].series[0];
    expect(heat.type).toBe('heatmap');
    expect(heat.data).toHaveLength(33 * 24);
    const map = charts['chart-map'].series[0] as unknown as { data: unknown[]; links: Array<{ lineStyle: { type?: string } }> };
    expect(map.data).toHaveLength(33);
    expect(map.links).toHaveLength(32);
    expect(map.links.filter((l) => l.lineStyle.type === 'dashed'), 'the three tie lines are dashed').toHaveLength(3);
  });

  it('draws the newer fields when the report has them: before-coordination lines, substation rating, band, violations', () => {
    const page = renderReportHtml(fixtureWithNewFields());
    const charts = embeddedCharts(page);
    expect(charts['chart-load'].series.map((s) => s.name)).toEqual([
      'grid purchase, after', 'grid purchase, before', 'load, after', 'load, before', 'substation rating (kVA)',
    ]);
    const voltage = charts['chart-voltage'] as unknown as { visualMap: { type: string }; series: Array<{ type: string; name: string }> };
    expect(voltage.visualMap.type).toBe('piecewise');
    expect(voltage.series.filter((s) => s.type === 'scatter').map((s) => s.name)).toEqual([
      'under-voltage, after', 'branch overload (into bus), after', 'substation overload, after',
    ]);
    expect(has(page, '<table id="violation-table">'), '<table id="violation-table">').toBe(true);
    expect(has(page, '6,500 kVA'), '6,500 kVA').toBe(true);
  });

  it('escapes every string of the report: a hostile scenario name stays text', () => {
    const evil = '</script><script>alert(1)</script><img src=x onerror=alert(2)>&';
    const page = ownPart(renderReportHtml({
      ...fixtureReport(), scenario: evil, method: '<b>m</b>', gapDefinition: '"q" <i>', runId: "it's",
      zones: [{ id: 1, buses: [1, 2], policy: '<svg onload=alert(3)>' }],
      violations: { after: [{ kind: '<x>', busId: 2, period: 0, value: 1, limit: 1 }] },
    }));
    for (const bad of ['<script>alert', '<img', '<svg', '<b>m</b>', '<i>', '<x>', "it's"]) expect(has(page, bad), `raw ${bad} in the page`).toBe(false);
    expect(has(page, escapeHtml(evil)), 'the scenario name, escaped').toBe(true);
    expect(has(page, '&#60;svg onload=alert(3)&#62;'), 'the policy name, escaped in the zone table').toBe(true);
    // The policy name also travels in the map's legend: inside the JSON block, as \u003c.
    expect(has(page, '\\u003csvg onload=alert(3)\\u003e'), 'the policy name in the JSON block').toBe(true);
    expect(page.match(/<\/script>/gi)).toHaveLength(3);
  });

  it('renders a report with every optional field missing, and an empty one', () => {
    const bare: ReportForHtml = { scenario: 'old', periods: [{ hour: 0, purchaseKw: 100 }, { hour: 0.25, purchaseKw: 120 }] };
    const page = renderReportHtml(bare);
    for (const id of SECTIONS) expect(has(page, `<section id="${id}">`), `<section id="${id}">`).toBe(true);
    expect(Object.keys(embeddedCharts(page))).toEqual(['chart-load']);
    expect(has(page, 'This report has no per-bus voltages.'), 'This report has no per-bus voltages.').toBe(true);
    expect(has(page, 'This report has no cost table.'), 'This report has no cost table.').toBe(true);
    const empty = renderReportHtml({});
    expect(has(empty, '(unnamed scenario)'), '(unnamed scenario)').toBe(true);
    expect(embeddedCharts(empty)).toEqual({});
    // An older report: no newer fields, a null centralised column, no gap.
    const old = fixtureReport();
    const page2 = renderReportHtml({ ...old, costs: { ...old.costs, centralised: null }, gapToCentralisedPct: null, gapDefinition: undefined, run: undefined, tieLines: undefined });
    expect(has(page2, 'not computed (no oracle in this run)'), 'not computed (no oracle in this run)').toBe(true);
    expect(has(page2, 'No centralised column'), 'No centralised column').toBe(true);
  });
});

describe('jsonForScript', () => {
  it('leaves no <, > or & in the block and parses back to the same value', () => {
    const value = { s: '</script><!-- & \u2028 >', n: [1, 2.5, null] };
    const text = jsonForScript(value);
    expect(text).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(text)).toEqual(value);
  });
});

describe('writeReportHtml', () => {
  it('writes dir/report.html (creating dir) and returns its path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zonal-report-html-'));
    try {
      const path = writeReportHtml(join(dir, 'out'), { scenario: 's' });
      expect(path).toBe(join(dir, 'out', 'report.html'));
      expect(readFileSync(path, 'utf8')).toContain('Zonal report: s');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
