/**
 * Start-up of a `zonal` process, whole process (spawn to exit), against Node itself: `zonal --help` as
 * `npm ci` leaves it (the bundle dist/cli.mjs), the same through tsx (the sources transpiled at every
 * start, as before the bundle), `npx zonal --help` (npx's own lookup added), and `node -e 0`.
 * Runs are interleaved, so a busy moment of the machine touches every case alike; medians are kept.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const ZONAL_BIN = 'apps/cli/bin/zonal.mjs';

/**
 * Goal for the bundled CLI's start, as a multiple of `node -e 0` in the same runs (a busy machine slows
 * both): 5x, i.e. 0.4 s beside Node's 0.08 s on a quiet day; through tsx it was 12.9x (1.09 s).
 */
export const STARTUP_GOAL_X_NODE = 5;

interface Case {
  name: string;
  cmd: string;
  args: string[];
  env?: Record<string, string>;
  goal?: string;
}

export interface StartupRow {
  case: string;
  medianS: number;
  minS: number;
  xNode: number;
  goal: string;
  met: string;
}

function timeOnce(c: Case): number {
  const t = performance.now();
  const r = spawnSync(c.cmd, c.args, { cwd: ROOT, env: { ...process.env, ...c.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const s = (performance.now() - t) / 1000;
  if (r.status !== 0) throw new Error(`${c.name}: exit ${r.status}: ${r.stderr.toString().trim()}`);
  return s;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export function benchStartup(opts: { runs?: number } = {}): StartupRow[] {
  const runs = opts.runs ?? 7;
  const node = process.execPath;
  const cases: Case[] = [
    { name: 'node -e 0', cmd: node, args: ['-e', '0'] },
    { name: 'zonal --help (the bundle dist/cli.mjs that npm ci builds)', cmd: node, args: [ZONAL_BIN, '--help'], env: { ZONAL_RUNTIME: '' }, goal: `under ${STARTUP_GOAL_X_NODE}x node -e 0` },
    { name: 'zonal --help, sources through tsx (ZONAL_RUNTIME=tsx: as before the bundle)', cmd: node, args: [ZONAL_BIN, '--help'], env: { ZONAL_RUNTIME: 'tsx' } },
    { name: 'npx zonal --help (npx finds the bin, then the bundle)', cmd: 'npx', args: ['zonal', '--help'], env: { ZONAL_RUNTIME: '' } },
  ];
  // One untimed run each: the bundle is rebuilt here if a source changed, and the file cache is warm.
  for (const c of cases) timeOnce(c);
  const times = cases.map(() => [] as number[]);
  for (let k = 0; k < runs; k++) cases.forEach((c, i) => times[i].push(timeOnce(c)));
  const nodeS = median(times[0]);
  return cases.map((c, i) => {
    const m = median(times[i]);
    return {
      case: c.name, medianS: m, minS: Math.min(...times[i]), xNode: m / nodeS,
      goal: c.goal ?? '', met: c.goal ? (m / nodeS < STARTUP_GOAL_X_NODE ? 'yes' : 'no') : '',
    };
  });
}
