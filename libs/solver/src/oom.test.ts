/**
 * A real out-of-memory abort of HiGHS (STACK.md: ~40 000-EV LPs abort at the 2 GiB WebAssembly
 * limit). The cheapest we found: a 4-million-row covering LP by interior point without presolve
 * (IPX needs about 1 KB per row) aborts in about 4 s. Here is what it looks like, and the proof that
 * the next solve succeeds on a fresh worker.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { ModelArrays } from './model';
import { solve } from './solve';
import { arbitrageModel } from './testing/models';
import { runJob, shutdownSolver, solverWorkerStats } from './worker-client';

afterAll(() => shutdownSolver());

/** Rows x[i] + x[i+1] >= 1 around a cycle of n variables, min sum x: arrays built directly (0.1 s). */
function cycleCover(n: number): ModelArrays {
  const rowStarts = new Int32Array(n + 1);
  const colIndex = new Int32Array(2 * n);
  for (let i = 0; i < n; i++) {
    rowStarts[i + 1] = 2 * i + 2;
    colIndex[2 * i] = i;
    colIndex[2 * i + 1] = (i + 1) % n;
  }
  return {
    name: 'oom',
    numCols: n,
    numRows: n,
    sense: 'minimize',
    objectiveConstant: 0,
    colCost: new Float64Array(n).fill(1),
    colLower: new Float64Array(n),
    colUpper: new Float64Array(n).fill(Infinity),
    colInteger: new Uint8Array(n),
    rowLower: new Float64Array(n).fill(1),
    rowUpper: new Float64Array(n).fill(Infinity),
    rowStarts,
    colIndex,
    values: new Float64Array(2 * n).fill(1),
    hessian: null,
  };
}

describe('a real HiGHS out-of-memory abort', () => {
  it('is reported as a crash with memory at the 2 GiB ceiling; the worker is replaced and the next solve succeeds', async () => {
    const expected = (await solve(arbitrageModel())).objective;
    const started = solverWorkerStats().workersStarted;

    const outcome = await runJob(cycleCover(4_000_000), { solver: 'ipm', timeLimitS: 120, presolve: false });
    expect(outcome.type).toBe('reply');
    if (outcome.type !== 'reply') return;
    expect(outcome.reply.kind).toBe('crashed');
    if (outcome.reply.kind !== 'crashed') return;
    expect(outcome.reply.message).toMatch(/^RuntimeError: Aborted\(\)/);
    expect(outcome.reply.outOfMemory).toBe(true);
    expect(outcome.reply.memoryBytes).toBeGreaterThan(1.9 * 2 ** 30);
    expect(solverWorkerStats().running).toBe(false);

    expect((await solve(arbitrageModel())).objective).toBeCloseTo(expected, 9);
    expect(solverWorkerStats().workersStarted).toBe(started + 1);
  }, 120_000);
});
