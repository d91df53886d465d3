import type { RealisedDay, ZoneParty } from '@zonal/coordination';
import type { Transport } from '@zonal/protocol';
import { answerGateFor } from './answer-gate';
import { startZoneAgent, type RunningZoneAgent, type ZoneAgentEnd, type ZoneAgentOptions } from './zone-agent';

/** How one zone of a host ended, and the exit code a process running only that zone would have had. */
export interface HostedZoneEnd {
  zoneId: number;
  end: ZoneAgentEnd;
  exitCode: number;
}

export interface ZoneHostOptions extends Omit<ZoneAgentOptions, 'transport' | 'party' | 'exportLpDir' | 'answerGate'> {
  /** The zones this process runs, each from its own file. */
  parties: readonly ZoneParty[];
  /** Each zone's transport: on NATS a view of the host's one connection speaking as `zone<id>` (NatsTransport.as). */
  transportFor(party: ZoneParty): Transport;
  /** Where zone `id` writes its LP files (`--export-lp`), if anywhere. */
  exportLpDirFor?(zoneId: number): string | undefined;
  /** A rolling run: zone `id`'s own realised day (`zonal zone --realised FILE`), which it lives after the day-ahead. */
  realisedFor?(zoneId: number): RealisedDay | undefined;
  /** The solver threads the zones share: one zone more than these works on an answer at a time (AnswerGate; default: no limit). */
  solverThreads?: number;
}

export interface RunningZoneHost {
  /** Every zone's end, in the order of `parties`, once the last has ended. */
  done: Promise<HostedZoneEnd[]>;
  stop(): Promise<void>;
}

/**
 * A zone's end as a process exit code (`zonal zone`): 0 told to shut down or stopped, 1 its announce
 * could not be sent, 2 the DSO refused it, 3 the DSO was gone for `dsoWaitMs`.
 */
export function zoneExitCode(end: ZoneAgentEnd): number {
  switch (end.reason) {
    case 'shutdown':
    case 'stopped':
      return 0;
    case 'failed':
      return 1;
    case 'refused':
      return 2;
    case 'dsoGone':
      return 3;
  }
}

/**
 * Several zone agents in one process (`zonal zone --config a.json --config b.json …`): each its own
 * startZoneAgent over its own transport view, so each announces, answers and ends for itself, while
 * the process shares one NATS connection and one pool of solver workers among them (the zones' solves
 * run side by side, one per worker). The host ends when every zone has ended; each zone's end is
 * reported on its own.
 */
export async function startZoneHost(o: ZoneHostOptions): Promise<RunningZoneHost> {
  const { parties, transportFor, exportLpDirFor, realisedFor, solverThreads, ...common } = o;
  const answerGate = solverThreads === undefined ? undefined : answerGateFor(parties.length, solverThreads);
  const agents: RunningZoneAgent[] = [];
  try {
    for (const party of parties) {
      const realised = realisedFor?.(party.config.id);
      agents.push(await startZoneAgent({ ...common, transport: transportFor(party), party, exportLpDir: exportLpDirFor?.(party.config.id), answerGate, ...(realised ? { rolling: { realised } } : {}) }));
    }
  } catch (e) {
    await Promise.all(agents.map((a) => a.stop()));
    throw e;
  }
  const done = Promise.all(agents.map(async (a, k) => {
    const end = await a.done;
    return { zoneId: parties[k].config.id, end, exitCode: zoneExitCode(end) };
  }));
  return { done, stop: async () => { await Promise.all(agents.map((a) => a.stop())); } };
}

/** The host's exit code: its zones' worst (the highest; 0 only when every zone ended well). */
export function hostExitCode(ends: readonly HostedZoneEnd[]): number {
  return ends.reduce((worst, e) => Math.max(worst, e.exitCode), 0);
}
