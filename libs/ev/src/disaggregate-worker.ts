import { parentPort } from 'node:worker_threads';
import { disaggregateShare, type GroupShareJob } from './disaggregate';

/** The disaggregation worker thread (disaggregate-thread.ts): each message one share of the groups, answered with their figures. */
parentPort!.on('message', ({ id, job }: { id: number; job: GroupShareJob }) => {
  try {
    parentPort!.postMessage({ id, figures: disaggregateShare(job) });
  } catch (e) {
    parentPort!.postMessage({ id, error: e instanceof Error ? e.message : String(e) });
  }
});
