import { deliverZoneSchedules, negotiate, solveCentralised, type CentralisedResult, type NegotiationSetup, type RoundRecord } from '@zonal/coordination';
import { buildDispatchInputs, runDispatch, uncoordinatedEvLoad } from '@zonal/dispatch';
import { openRecorder, type Transport } from '@zonal/protocol';
import { buildSimReport, writeSimReport, type SimReport } from './report';
import { transportZoneClients } from './zone-clients';

export interface DsoAgentOptions {
  transport: Transport;
  setup: NegotiationSetup;
  /** How the transport is described in the report ("nats nats://…", "in-process"). */
  transportLabel: string;
  /** Where report.json and the CSVs go; nothing is written without it. */
  outDir?: string;
  /** How long to wait for every zone's announce before starting without the missing ones (ms). */
  announceTimeoutMs?: number;
  log?: (line: string) => void;
  onRound?: (record: RoundRecord) => void;
  /** The centralised optimum of this setup when the caller has solved it already (it is not solved twice). */
  centralised?: CentralisedResult;
}

export interface DsoOutcome {
  report: SimReport;
  files: string[];
}

/**
 * The DSO coordinator (SPEC §8): collects the zones' announces, negotiates with the zones over the
 * transport (every round kept on JetStream), solves the centralised oracle of the same scenario,
 * compares, and writes the report. It ends by telling the zone agents to shut down.
 */
export async function runDsoAgent(o: DsoAgentOptions): Promise<DsoOutcome> {
  const { transport, setup } = o;
  const log = o.log ?? (() => {});
  const s = transport.subjects;
  const expected = new Set(setup.zones.map((z) => String(z.id)));
  const known = new Set<string>();
  let state: 'waiting' | 'running' | 'converged' | 'roundLimit' = 'waiting';
  let round: number | null = null;
  let allAnnounced!: () => void;
  const announced = new Promise<void>((resolve) => { allAnnounced = resolve; });

  const announces = transport.serve(s.anyZoneAnnounce, (message) => {
    if (message.type !== 'announce') throw new Error(`unexpected ${message.type}`);
    const id = message.body.zoneId;
    if (!expected.has(id)) throw new Error(`zone ${id} is not in this scenario (zones ${[...expected].join(', ')})`);
    if (known.has(id)) log(`zone ${id} announced again (rejoined)`);
    known.add(id);
    if ([...expected].every((z) => known.has(z))) allAnnounced();
    return { type: 'status', body: { state, round, zonesKnown: [...known].sort() } };
  }, { accepts: ['announce'], onError: (e) => log(`announce refused: ${(e as Error).message}`) });
  await transport.flush();

  const publishStatus = (detail?: string) => transport.publish(s.dsoStatus, { type: 'status', body: { state, round, zonesKnown: [...known].sort(), ...(detail ? { detail } : {}) } });
  try {
    const timeoutMs = o.announceTimeoutMs ?? 60_000;
    let timer: NodeJS.Timeout | undefined;
    const waited = await Promise.race([announced.then(() => true), new Promise<boolean>((r) => { timer = setTimeout(() => r(false), timeoutMs); })]);
    clearTimeout(timer);
    if (!waited) log(`starting without zone(s) ${[...expected].filter((z) => !known.has(z)).join(', ')}: no announce within ${timeoutMs} ms`);
    else log(`all ${expected.size} zones announced`);

    // Before coordination: the same feeder with every EV charging on arrival (SPEC §4).
    const ev = uncoordinatedEvLoad(setup.scenario, setup.feeder);
    const before = await runDispatch(buildDispatchInputs(setup.scenario, setup.feeder, ev.busLoadKw));

    // The centralised oracle first: ADMM's warm start is that same model, so it is solved once.
    const centralised = o.centralised ?? await solveCentralised(setup);

    state = 'running';
    publishStatus();
    const recorder = await openRecorder(transport);
    const negotiation = await negotiate(setup, transportZoneClients(transport, setup), {
      centralised,
      onRound: async (r) => {
        round = r.round;
        await recorder.record({
          round: r.round, method: r.method, rho: r.rho, primalResidualKw: r.primalResidualKw, dualResidualKw: r.dualResidualKw,
          totalCostYuan: r.totalCostYuan, relCostChange: r.relCostChange, converged: r.converged, centralisedCostYuan: centralised.totalCostYuan,
          zones: r.zones.map((z) => ({ zoneId: String(z.zoneId), status: z.status, costYuan: z.costYuan, pKw: z.evKw, ...(z.detail ? { detail: z.detail } : {}) })),
        });
        publishStatus();
        o.onRound?.(r);
      },
    });
    state = negotiation.converged ? 'converged' : 'roundLimit';
    if (negotiation.roundLimitHit) log(`round limit ${setup.scenario.negotiation.maxRounds} reached before convergence`);
    // The agreed aggregates lie in outer approximations of the fleets: check the EVs can deliver them (SPEC §6).
    const delivery = deliverZoneSchedules(setup, negotiation.zoneEvKw);
    const report = buildSimReport({ setup, runId: transport.runId, transport: o.transportLabel, before, negotiation, centralised, delivery });
    const files = o.outDir ? writeSimReport(o.outDir, report) : [];
    publishStatus(o.outDir ? `report: ${o.outDir}` : undefined);
    return { report, files };
  } finally {
    announces.unsubscribe();
    transport.publish(s.control, { type: 'control', body: { command: 'shutdown', reason: 'negotiation finished' } });
    await transport.flush();
  }
}
