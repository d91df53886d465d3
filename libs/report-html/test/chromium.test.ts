/**
 * report.html in a real browser: Debian's chromium, headless, driven by puppeteer-core (no browser
 * download). The page must load from file:// with no other request, log no console error, throw no
 * page error, and draw every chart (a canvas of non-zero size with ink on it). A screenshot of each
 * full report is kept as libs/report-html/test-output/report/report.png (git-ignored) for a human
 * to look at, beside the page itself.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer, { type Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReportHtml } from '../src/render';
import type { ReportForHtml } from '../src/types';
import { fixtureReport, fixtureWithNewFields } from './fixture';

const OUTPUT = join(import.meta.dirname, '..', 'test-output');

/** The system chromium: PUPPETEER_EXECUTABLE_PATH when set, else `chromium` on the PATH. */
function findChromium(): string {
  const fromEnv = process.env.PUPPETEER_EXECUTABLE_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`PUPPETEER_EXECUTABLE_PATH=${fromEnv} does not exist`);
    return fromEnv;
  }
  try {
    return execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('chromium is not installed (no `chromium` on the PATH): run tools/scripts/install-system-deps.sh (it installs Debian\'s chromium), or set PUPPETEER_EXECUTABLE_PATH');
  }
}

interface PageCheck {
  consoleErrors: string[];
  consoleWarnings: string[];
  pageErrors: string[];
  otherRequests: string[];
  chartsReady: string | null;
  charts: Array<{ id: string; width: number; height: number; inkedFraction: number }>;
}

/**
 * The little of the DOM that the in-page functions use, typed here: the workspace compiles without
 * the DOM library. These functions run in the page (puppeteer serialises them), never in Node.
 */
interface PageCanvas { width: number; height: number; getBoundingClientRect(): { width: number; height: number }; getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null }
interface PageElement { id: string; querySelectorAll(selector: string): ArrayLike<PageCanvas>; querySelector(selector: string): PageCanvas | null }
interface PageDocument { body: { hasAttribute(name: string): boolean; getAttribute(name: string): string | null }; querySelectorAll(selector: string): ArrayLike<PageElement> }
/** In the page: each chart container's drawn size and the share of its pixels with ink. */
function measureCharts(): PageCheck['charts'] {
  const doc = (globalThis as unknown as { document: PageDocument }).document;
  return Array.from(doc.querySelectorAll('.chart')).map((el) => {
    // ECharts may draw on several stacked canvases (a heat map on a layer of its own): a pixel is
    // inked when any layer has drawn on it.
    const canvases = Array.from(el.querySelectorAll('canvas')).filter((c) => c.width > 0 && c.height > 0);
    const box = (canvases[0] ?? el.querySelector('svg'))?.getBoundingClientRect();
    const layers = canvases.map((c) => c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data);
    let inked = 0, total = 0;
    if (layers.length && layers.every((d) => d && d.length === layers[0]!.length)) {
      for (let i = 3; i < layers[0]!.length; i += 4 * 7) { total++; if (layers.some((d) => d![i] > 0)) inked++; }
    }
    return { id: el.id, width: box?.width ?? 0, height: box?.height ?? 0, inkedFraction: total ? inked / total : 0 };
  });
}

describe('report.html in headless chromium', () => {
  let browser: Browser | undefined;
  // Kept for each test to fail on by name (a throwing hook would leave them counted as skipped).
  let launchError: unknown;

  beforeAll(async () => {
    try {
      browser = await puppeteer.launch({
        executablePath: findChromium(),
        headless: true,
        // CI runs as root, where chromium's sandbox cannot start.
        args: ['--no-sandbox', '--headless=new', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check'],
      });
    } catch (e) {
      launchError = e;
    }
  });

  afterAll(async () => {
    await browser?.close();
  });

  /** Writes the page as test-output/<name>/report.html, loads it, checks it and keeps <name>.png beside it. */
  async function openReport(name: string, report: ReportForHtml, screenshot = true): Promise<PageCheck> {
    const file = writeReportHtml(join(OUTPUT, name), report);
    const url = pathToFileURL(file).href;
    if (!browser) throw launchError;
    const page = await browser.newPage();
    const check: PageCheck = { consoleErrors: [], consoleWarnings: [], pageErrors: [], otherRequests: [], chartsReady: null, charts: [] };
    try {
      await page.setViewport({ width: 1200, height: 900 });
      page.on('console', (m) => {
        if (m.type() === 'error') check.consoleErrors.push(m.text());
        if (m.type() === 'warn') check.consoleWarnings.push(m.text());
      });
      page.on('pageerror', (e) => { check.pageErrors.push(e instanceof Error ? e.message : String(e)); });
      // Offline: the page itself is the only request allowed; anything else is recorded and refused.
      await page.setRequestInterception(true);
      page.on('request', (req) => {
        if (req.url() === url) { void req.continue(); return; }
        check.otherRequests.push(req.url());
        void req.abort();
      });
      await page.goto(url, { waitUntil: 'load', timeout: 20_000 });
      // In-page functions are sent as source: each names the document itself.
      await page.waitForFunction(() => (globalThis as unknown as { document: PageDocument }).document.body.hasAttribute('data-charts-ready'), { timeout: 10_000 })
        .catch(() => undefined);
      check.chartsReady = await page.evaluate(() => (globalThis as unknown as { document: PageDocument }).document.body.getAttribute('data-charts-ready'));
      check.charts = await page.evaluate(measureCharts);
      if (screenshot) await page.screenshot({ path: join(OUTPUT, name, `${name}.png`), fullPage: true });
    } finally {
      await page.close();
    }
    return check;
  }

  function expectClean(check: PageCheck, charts: string[]) {
    expect(check.pageErrors, 'uncaught exceptions in the page').toEqual([]);
    expect(check.consoleErrors, 'console errors').toEqual([]);
    expect(check.consoleWarnings, 'console warnings (ECharts says so of an option it ignores)').toEqual([]);
    expect(check.otherRequests, 'requests beyond the page itself (it must open offline)').toEqual([]);
    expect(check.chartsReady, 'the page script ran to its end').toBe(String(charts.length));
    expect(check.charts.map((c) => c.id).sort()).toEqual([...charts].sort());
    for (const c of check.charts) {
      expect(c.width, `${c.id}: drawn width (px)`).toBeGreaterThan(100);
      expect(c.height, `${c.id}: drawn height (px)`).toBeGreaterThan(100);
      expect(c.inkedFraction, `${c.id}: share of the canvas with something drawn`).toBeGreaterThan(0.01);
    }
  }

  // Both pages load in parallel tabs: most of the time is chromium compiling the inlined bundle.
  let full: Promise<PageCheck>;
  let older: Promise<PageCheck>;
  beforeAll(() => {
    const old = fixtureReport();
    full = openReport('report', fixtureWithNewFields());
    older = openReport('report-older', { ...old, costs: { ...old.costs, centralised: null }, gapToCentralisedPct: null, tieLines: undefined, roundLog: undefined }, false);
    // Each test awaits its own; a rejection is reported there, not as an unhandled one here.
    full.catch(() => undefined);
    older.catch(() => undefined);
  });

  it('draws every chart of a full report, offline and without errors', async () => {
    expectClean(await full, ['chart-load', 'chart-ev', 'chart-voltage', 'chart-map', 'chart-rounds']);
  });

  it('renders an older report (no newer fields, no oracle, no round log) without errors', async () => {
    expectClean(await older, ['chart-load', 'chart-ev', 'chart-voltage', 'chart-map']);
  });
});
