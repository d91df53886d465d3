/**
 * The main job, end to end: `zonal sim` on the default scenario as a user runs it, from spawn to exit,
 * over NATS (the agents as processes) and in process, with where its time goes. The breakdown comes
 * from when each of `zonal sim`'s progress lines reaches this process (so it needs no hook in the
 * product): start-up (spawn to its first line), split (the scenario into the parties' files, loaded
 * back in process; over NATS up to the agents' start, the harness loading them beside), announces
 * (to the DSO's "all N zones announced"; over NATS this includes starting the agent processes),
 * rounds (to the last round's line), evaluation and report (to "report written"), exit.
 * The centralised oracle runs beside the negotiation; its own solve time is the line it prints.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const ZONAL_BIN = 'apps/cli/bin/zonal.mjs';

/** Issue 11 item 2's goals for the default `zonal sim`, start to report (s). */
export const MAIN_JOB_GOAL_S = { nats: 3, inProcess: 1.5 };

export interface MainJobRow {
  transport: string;
  totalS: number;
  startupS: number;
  splitS: number;
  announcesS: number;
  roundsS: number;
  rounds: number;
  evaluationReportS: number;
  exitS: number;
  oracleSolveS: number | null;
  goalS: number;
  met: string;
}

interface Timeline { totalS: number; lines: Array<{ atS: number; text: string }> }

function runSim(env: Record<string, string>): Promise<Timeline> {
  const out = mkdtempSync(join(tmpdir(), 'zonal-bench-main-'));
  const t0 = performance.now();
  const lines: Timeline['lines'] = [];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ZONAL_BIN, 'sim', '--out', out], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let partial = '';
    child.stderr.on('data', (d: Buffer) => {
      const atS = (performance.now() - t0) / 1000;
      const parts = (partial + d.toString()).split('\n');
      partial = parts.pop() ?? '';
      for (const text of parts) if (text.trim()) lines.push({ atS, text });
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const totalS = (performance.now() - t0) / 1000;
      rmSync(out, { recursive: true, force: true });
      if (code !== 0) reject(new Error(`zonal sim exited ${code}: ${lines.slice(-3).map((l) => l.text).join(' | ')}`));
      else resolve({ totalS, lines });
    });
  });
}

function breakdown(transport: string, t: Timeline, goalS: number): MainJobRow {
  const at = (re: RegExp, last = false): number => {
    const hits = t.lines.filter((l) => re.test(l.text));
    const hit = last ? hits.at(-1) : hits[0];
    if (!hit) throw new Error(`zonal sim printed no line matching ${re}`);
    return hit.atS;
  };
  const first = t.lines[0]?.atS ?? 0;
  // Split ends where the agents start: over NATS their processes start before the harness loads the zone files back.
  const split = Math.min(...[/\d+ zones \(files in /, /: starting the DSO/].map((re) => t.lines.find((l) => re.test(l.text))?.atS ?? Infinity));
  if (!Number.isFinite(split)) throw new Error('zonal sim printed neither its zones nor the start of its agents');
  const announced = at(/all \d+ zones announced/);
  const lastRound = at(/round +\d+: primal/, true);
  const written = at(/report written/);
  const oracle = t.lines.find((l) => /centralised oracle/.test(l.text))?.text.match(/solved in ([\d.]+) s/);
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    transport,
    totalS: round(t.totalS),
    startupS: round(first),
    splitS: round(split - first),
    announcesS: round(announced - split),
    roundsS: round(lastRound - announced),
    rounds: t.lines.filter((l) => /round +\d+: primal/.test(l.text)).length,
    evaluationReportS: round(written - lastRound),
    exitS: round(t.totalS - written),
    oracleSolveS: oracle ? Number(oracle[1]) : null,
    goalS,
    met: t.totalS <= goalS ? 'yes' : 'no',
  };
}

export async function benchMainJob(): Promise<MainJobRow[]> {
  const inProcess = { ZONAL_NATS_URL: 'nats://127.0.0.1:1', ZONAL_NATS_SERVER_BIN: '/nonexistent' };
  // One untimed run: a stale bundle is rebuilt here, and the file cache is warm.
  await runSim(inProcess);
  const rows = [breakdown('in process', await runSim(inProcess), MAIN_JOB_GOAL_S.inProcess)];
  // Over NATS: the server at 127.0.0.1:4222 when one answers, else a nats-server zonal sim starts itself.
  rows.push(breakdown('NATS (agents as processes)', await runSim({}), MAIN_JOB_GOAL_S.nats));
  return rows;
}
