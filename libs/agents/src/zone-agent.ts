import { createRng } from '@zonal/core';
import type { NegotiationSetup } from '@zonal/coordination';
import { getPolicy } from '@zonal/policies';
import type { Transport } from '@zonal/protocol';
import { LpExporter } from '@zonal/solver';
import { announceBody, fromSolveRequest, toSolveReply } from './wire';

export interface ZoneAgentOptions {
  transport: Transport;
  setup: NegotiationSetup;
  zoneId: number;
  log?: (line: string) => void;
  /** Between announce attempts while the DSO is not there yet (ms). */
  announceRetryMs?: number;
}

export interface RunningZoneAgent {
  /** Resolves when the DSO sends `shutdown` (or stop() is called). */
  done: Promise<void>;
  stop(): Promise<void>;
}

/**
 * One zone aggregator (SPEC §8): announces its flexibility to the DSO, then answers every solve
 * request with its policy's schedule. A restarted agent announces again and answers the next round,
 * so it rejoins a running negotiation. Bad requests get an error reply from the transport layer and
 * the agent keeps serving.
 */
export async function startZoneAgent(o: ZoneAgentOptions): Promise<RunningZoneAgent> {
  const { transport, setup, zoneId } = o;
  const log = o.log ?? (() => {});
  const zone = setup.zones.find((z) => z.id === zoneId);
  if (!zone) throw new Error(`zone ${zoneId} is not in this scenario (zones 1..${setup.zones.length})`);
  const policy = getPolicy(setup.scenario.zones.policy);
  const ctx = { exporter: new LpExporter(undefined), rng: createRng(setup.scenario.seed).fork(`zone${zoneId}`) };
  const subjects = transport.subjects;
  let stopped = false;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => { finish = resolve; });

  const solving = transport.serve(subjects.zoneSolve(String(zoneId)), async (message) => {
    if (message.type !== 'solveRequest') throw new Error(`unexpected ${message.type}`);
    const signal = fromSolveRequest(message.body);
    try {
      const answer = await policy.respond(zone.problem, signal, ctx);
      return { type: 'solveReply', body: toSolveReply(zoneId, message.body.round, answer) };
    } catch (e) {
      return {
        type: 'solveReply',
        body: { zoneId: String(zoneId), round: message.body.round, status: 'failed', detail: (e as Error).message, pKw: [], qKvar: [], costYuan: null, tieLineFlows: [] },
      };
    }
  }, { accepts: ['solveRequest'], onError: (e) => log(`zone ${zoneId}: ${(e as Error).message}`) });
  const control = transport.subscribe(subjects.control, (message) => {
    if (message.type === 'control' && message.body.command === 'shutdown') void stop();
  });
  await transport.flush();

  async function stop(): Promise<void> {
    if (stopped) return;
    stopped = true;
    solving.unsubscribe();
    control.unsubscribe();
    finish();
  }

  // Announce until the DSO answers: it may start after us, or be busy starting. Solve once first, so
  // the first round does not pay for compiling the solver (seconds on a loaded machine).
  void (async () => {
    await policy.respond(zone.problem, { round: 0 }, ctx).catch(() => undefined);
    const body = announceBody(zone, policy.name);
    while (!stopped) {
      const outcome = await transport.request(subjects.zoneAnnounce(String(zoneId)), { type: 'announce', body }, { timeoutMs: 2000, expect: 'status' });
      if (outcome.ok) { log(`zone ${zoneId}: announced (${zone.fleet.size} EVs on buses ${zone.buses.join(',')})`); return; }
      await new Promise((r) => setTimeout(r, o.announceRetryMs ?? 500));
    }
  })();
  return { done, stop };
}
