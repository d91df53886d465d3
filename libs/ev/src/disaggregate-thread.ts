import { Worker } from 'node:worker_threads';
import { ZonalError } from '@zonal/core';
import type { GroupFigures, GroupShareJob } from './disaggregate';

/**
 * The worker thread of PreparedGroupDisaggregation.disaggregateInParallel: one per process, started
 * when a parallel disaggregation is prepared (so its start-up overlaps the zone's LP) and kept, unref'd
 * (it never holds the process open). Its jobs are disaggregateShare on data in shared memory; the
 * figures come back by message. A worker that fails or exits is dropped, its jobs rejected, and the
 * next job starts a new one.
 */
interface Pending {
  resolve(figures: Array<GroupFigures | null>): void;
  reject(error: Error): void;
}

type Reply = { id: number; figures: Array<GroupFigures | null> } | { id: number; error: string };

let worker: Worker | null = null;
let nextId = 0;
const pending = new Map<number, Pending>();

export function startShareWorker(): Worker {
  if (worker) return worker;
  const started = new Worker(new URL('./disaggregate-thread-boot.mjs', import.meta.url));
  started.unref();
  started.on('message', (reply: Reply) => {
    const job = pending.get(reply.id);
    if (!job) return;
    pending.delete(reply.id);
    if ('error' in reply) job.reject(new ZonalError(`the disaggregation worker failed: ${reply.error}`, 'disaggregateInParallel'));
    else job.resolve(reply.figures);
  });
  const fail = (why: string) => {
    if (worker === started) worker = null;
    for (const job of pending.values()) job.reject(new ZonalError(`the disaggregation worker ${why}`, 'disaggregateInParallel'));
    pending.clear();
  };
  started.on('error', (e) => fail(`failed: ${e.message}`));
  started.on('exit', (code) => fail(`exited with code ${code}`));
  worker = started;
  return started;
}

/** disaggregateShare(job) on the worker thread; the job's typed arrays should be in shared memory (others are copied). */
export function runShareOnWorker(job: GroupShareJob): Promise<Array<GroupFigures | null>> {
  const w = startShareWorker();
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    // Referenced while a job runs, so the process waits for its answer.
    w.ref();
    w.postMessage({ id, job });
  }).finally(() => {
    if (pending.size === 0) worker?.unref();
  }) as Promise<Array<GroupFigures | null>>;
}
