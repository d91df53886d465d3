/**
 * The chaos suite's scenarios (issue 10 item 6): the faults an operator meets and the attacks an
 * outsider tries, each against real processes and real nats-servers on loopback. A scenario returns
 * one outcome per row it declares; it never decides its own timeout (main.ts does).
 *
 * The outsider speaks raw NATS (`@nats-io/transport-node`), as anyone on the network would: it never
 * goes through Zonal's transport.
 */
import { join } from 'node:path';
import { jetstream, jetstreamManager, RetentionPolicy, StorageType, DiscardPolicy } from '@nats-io/jetstream';
import { nkeyAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { readFileSync } from 'node:fs';
import { NatsTransport, openRecorder, ROUNDS_STREAM, type RoundHistory } from '@zonal/protocol';
import { childrenOf, Ctx, processAlive, sleep, ZONAL } from './harness';
import { type Case, differsFrom, figures, finish, lastLine, newRunId, type Report, startDso, startRun, startZone, watchRounds } from './runs';
import { startCluster } from './cluster';

export type Kind = 'fault' | 'attack';
export interface RowSpec { name: string; kind: Kind; expected: string }
export interface Outcome { ok: boolean; happened: string }

/** What every scenario shares: the cases and the reference run, made once by main.ts. */
export interface World {
  /** small-test with tolerances no run meets and a fixed round limit: every undisturbed run gives the same result. */
  fixed: Case;
  /** small-test with tolerances that take several rounds to meet: a disturbed run must still converge near the optimum. */
  converging: Case;
  /** The fixed case run once, undisturbed. */
  reference: Report;
  /** A scenario file for `zonal sim` with a short negotiation budget, and the whole run's budget (s) as zonal sim counts it. */
  sim: { scenario: string; budgetS: number };
}

export interface Scenario {
  id: string;
  /** A scenario still running after this long is HUNG: its processes are killed. */
  timeoutS: number;
  /** Runs beside the others, from the start (it mostly waits); it must not read `World.reference`. */
  background?: boolean;
  rows: RowSpec[];
  run(ctx: Ctx, w: World): Promise<Outcome[]>;
}

const GAP_BOUND_PCT = 0.5;

/** Reads a run's records back from the stream (another connection, as an auditor would). */
async function readBack(ctx: Ctx, servers: string | string[], runId: string, instances?: string[], messageIds?: Record<string, string>): Promise<RoundHistory> {
  const reader = await NatsTransport.connect({ servers, name: 'auditor', runId, requireJetStream: false, connectTimeoutMs: 10_000 });
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        return await (await openRecorder(reader)).readRounds(runId, { ...(instances ? { instances } : {}), ...(messageIds ? { messageIds } : {}) });
      } catch (e) {
        // Right after a server is lost the JetStream API can be silent for seconds (a leader election).
        if (attempt >= 40) throw e;
        ctx.check();
        await sleep(250);
      }
    }
  } finally {
    await reader.close().catch(() => undefined);
  }
}

const allRounds = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
const sameList = (a: number[], b: number[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** "same result as the reference (8 rounds, 1,234.00 yuan)" or what differs. */
function versusReference(r: Report | null, w: World): Outcome {
  if (!r) return { ok: false, happened: 'no report written' };
  const diff = differsFrom(r, w.reference);
  return diff ? { ok: false, happened: `result differs from the reference: ${diff}` } : { ok: true, happened: `same result as the reference (${figures(r)})` };
}

/** A run that converged within the gap bound of the centralised optimum. */
function nearOptimum(r: Report | null): Outcome {
  if (!r) return { ok: false, happened: 'no report written' };
  const gap = r.gapToCentralisedPct;
  const ok = r.converged && gap !== null && Math.abs(gap) <= GAP_BOUND_PCT;
  return { ok, happened: `${r.converged ? 'converged' : `NOT converged${r.stoppedBy ? ` (${r.stoppedBy})` : ''}`} in ${r.rounds} rounds, gap to the centralised optimum ${gap === null ? 'unknown' : `${gap.toFixed(3)}%`}` };
}

/** Every scenario, in the order the suite runs them. */
export const scenarios: Scenario[] = [
  // ---------------------------------------------------------------- attacks on an open server
  {
    id: 'forged-replies',
    timeoutS: 300,
    rows: [
      { name: 'forged solve reply: degradationYuan −100000', kind: 'attack', expected: 'refused as an incident naming zone 2 and the field; run converges near the optimum' },
      { name: 'forged solve reply: pKw 1e6 kW', kind: 'attack', expected: 'refused (outside the announced flexibility); nothing forged in the result' },
      { name: 'forged solve reply: 23 periods', kind: 'attack', expected: 'refused (period count), naming zone 2 and the field; result unchanged' },
    ],
    async run(ctx, w) {
      // An outsider on the open server answers zone 2's solve requests before zone 2 does, three rounds
      // in a row from the first after zone 2 has answered, each time with zone 2's own last answer
      // (overheard on the DSO's reply inbox) altered.
      const server = await ctx.nats({ name: 'open', jetstream: true });
      const runId = newRunId('forge');
      const outsider = await ctx.connect({ servers: server.url, name: 'outsider' });
      type Reply = { seq: number; body: Record<string, unknown> & { round: number; pKw: number[]; qKvar: number[] } };
      let honest: Reply | undefined;
      outsider.subscribe('_INBOX_dso.>', {
        callback: (err, m) => {
          if (err) return;
          try {
            const msg = JSON.parse(m.string());
            if (msg.type === 'solveReply' && msg.body?.zoneId === '2' && msg.body.status === 'optimal') honest = msg;
          } catch { /* not a reply */ }
        },
      });
      const forgeries: Array<(body: Reply['body']) => void> = [
        (b) => { b.degradationYuan = -100000; },
        (b) => { b.pKw[0] = 1e6; delete b.busPKw; },
        (b) => { b.pKw = b.pKw.slice(1); b.qKvar = b.qKvar.slice(1); delete b.busPKw; },
      ];
      /** The round each forgery answered. */
      const sent: number[] = [];
      outsider.subscribe(`zonal.${runId}.zone.2.solve`, {
        callback: (err, m) => {
          if (err || !m.reply || !honest || sent.length === forgeries.length) return;
          const round = (JSON.parse(m.string()) as { body: { round: number } }).body.round;
          if (sent.includes(round)) return;
          const msg = structuredClone(honest);
          msg.body.round = round;
          msg.seq += 1;
          forgeries[sent.length](msg.body);
          m.respond(JSON.stringify(msg));
          sent.push(round);
        },
      });
      await outsider.flush();
      const run = startRun(ctx, w.converging, { label: 'forge', runId, dso: { nats: server.url, args: ['--oracle', w.converging.parties] }, zone: () => ({ nats: server.url }) });
      const { report: r } = await finish(ctx, run);
      const result = nearOptimum(r);
      const clean = r !== null && Math.max(...(r.zones.find((z) => z.id === 2)?.achievedKw ?? [Infinity])) < 1e5 && r.costs.negotiated.degradation >= 0;
      const row = (k: number, why: RegExp): Outcome => {
        const round = sent[k];
        if (round === undefined) return { ok: false, happened: 'the outsider never got to answer first' };
        const incident = r?.incidents.find((i) => i.round === round && i.zoneId === 2);
        const refused = incident?.status === 'refused' && why.test(incident.detail);
        const said = incident ? `round ${round}: ${incident.status}, "${incident.detail}"` : `round ${round}: no incident`;
        return { ok: refused && result.ok && clean, happened: `${said}; ${result.happened}${clean ? '' : '; FORGED VALUES IN THE RESULT'}` };
      };
      return [
        row(0, /zone 2: degradationYuan -100000\.00 is below/),
        row(1, /zone 2: EV power 1000000\.000 kW at period 0 is outside its announced flexibility/),
        row(2, /zone 2: evKw has 23 periods, the run 24/),
      ];
    },
  },
  {
    id: 'impostors',
    timeoutS: 300,
    rows: [
      { name: 'second DSO on the run id of a running one', kind: 'attack', expected: 'refused to start (exit 2, naming the run id); the first run ends as the reference' },
      { name: 'forged round records on the run\'s round subject', kind: 'attack', expected: 'readRounds reports them (foreign to the DSO\'s instance; duplicates of its rounds, the next row\'s round among them)' },
      { name: 'forged record of the DSO\'s next round under its instance (overheard), first, under the id the DSO\'s instance and round make', kind: 'attack', expected: 'prevented: the round\'s id has a secret part, the DSO\'s record is stored; read with the report\'s recordIds the forgery is foreign; result unchanged' },
    ],
    async run(ctx, w) {
      const server = await ctx.nats({ name: 'open', jetstream: true });
      const runId = newRunId('impostors');
      const watcher = await ctx.connect({ servers: server.url, name: 'watcher' });
      const seen = watchRounds(watcher, runId);
      await watcher.flush();
      const run = startRun(ctx, w.fixed, { label: 'impostors', runId, dso: { nats: server.url }, zone: () => ({ nats: server.url }) });
      await ctx.until(() => seen.rounds.includes(1), 'round 1');

      // A forger's records: a made-up instance for rounds 1-3, and round 5 under the DSO's instance (read
      // off round 1's live record) and the id it would have without its per-round secret.
      const outsider = await ctx.connect({ servers: server.url, name: 'outsider' });
      const js = jetstream(outsider);
      const dsoInstance = [...seen.instances][0];
      const record = (round: number, instance: string) => JSON.stringify({
        v: 2, type: 'roundRecord', runId, sender: 'dso', seq: round, body: {
          round, method: 'admm', rho: 0.01, primalResidualKw: 0, dualResidualKw: 0, totalCostYuan: 1, relCostChange: null, converged: true, zones: [], instance,
        },
      });
      for (const round of [1, 2, 3]) await js.publish(`zonal.${runId}.round`, record(round, 'f0f0f0f0f0f0'));
      const target = 5;
      const early = !seen.rounds.includes(target);
      await js.publish(`zonal.${runId}.round`, record(target, dsoInstance), { msgID: `${runId}.${dsoInstance}.${target}` });

      const second = startDso(ctx, w.fixed, runId, join(ctx.dir, 'second'), { nats: server.url });
      const secondCode = await ctx.exit(second, 60_000);

      const { code, report: r } = await finish(ctx, run);
      const result = versusReference(r, w);
      const secondSaid = lastLine(second.stderr(), /error:/);
      const secondRow: Outcome = {
        ok: secondCode === 2 && new RegExp(`run id "${runId}" is in use`).test(second.stderr()) && result.ok && code === 1,
        happened: `second DSO exit ${secondCode}: "${secondSaid}"; the first: exit ${code}, ${result.happened}`,
      };
      if (!r?.recordInstance) return [secondRow, { ok: false, happened: 'no record instance in the report' }, { ok: false, happened: 'no record instance in the report' }];
      const mine = await readBack(ctx, server.url, runId, [r.recordInstance]);
      const all = await readBack(ctx, server.url, runId);
      const foreignRounds = mine.foreign.map((f) => f.round);
      const recordsRow: Outcome = {
        ok: sameList(foreignRounds, [1, 2, 3]) && sameList(mine.records.map((x) => x.body.round).sort((a, b) => a - b), allRounds(w.reference.rounds)) && all.instances.length === 2 &&
          sameList(all.duplicates.map((d) => d.round).sort((a, b) => a - b), [1, 2, 3, target]),
        happened: `with the DSO's instance: ${mine.records.length} records, foreign at rounds ${foreignRounds.join(',') || 'none'}; ` +
          `without: ${all.instances.length} instances, duplicates of rounds ${all.duplicates.map((d) => d.round).join(',') || 'none'}`,
      };
      const verified = await readBack(ctx, server.url, runId, [r.recordInstance], r.recordIds);
      const stored = verified.records.find((x) => x.body.round === target);
      const forgedTarget = verified.foreign.filter((f) => f.round === target && f.instance === r.recordInstance);
      const idRow: Outcome = {
        ok: early && (r.duplicateRecords ?? []).length === 0 && stored !== undefined && stored.body.totalCostYuan !== 1 && forgedTarget.length === 1 && result.ok,
        happened: `duplicateRecords [${(r.duplicateRecords ?? []).join(',')}]; read with recordIds, round ${target} is ${stored === undefined ? 'missing' : stored.body.totalCostYuan === 1 ? 'the forger\'s' : 'the DSO\'s'}, the forgery ${forgedTarget.length === 1 ? 'foreign' : `found ${forgedTarget.length} times among foreign`}; ${result.ok ? 'result unchanged' : result.happened}`,
      };
      return [secondRow, recordsRow, idRow];
    },
  },
  // ---------------------------------------------------------------- attacks on a server configured by zonal nats-config
  {
    id: 'nats-config',
    timeoutS: 300,
    rows: [
      { name: 'anonymous client, nats-config server', kind: 'attack', expected: 'refused at connect' },
      { name: 'unknown nkey, nats-config server', kind: 'attack', expected: 'refused at connect' },
      { name: 'zone 1\'s key publishes zone 2\'s announce', kind: 'attack', expected: 'permissions violation; the DSO never sees it' },
      { name: 'zone 1\'s key listens to zone 2\'s solve requests', kind: 'attack', expected: 'permissions violation; hears nothing' },
      { name: 'zone 1\'s key publishes a round record', kind: 'attack', expected: 'permissions violation; nothing stored' },
      { name: 'zone 1\'s key publishes control: shutdown mid-run', kind: 'attack', expected: 'permissions violation; no zone stops; the run ends as the reference' },
    ],
    async run(ctx, w) {
      const auth = join(ctx.dir, 'auth');
      const config = ctx.start('zonal nats-config', ZONAL, ['nats-config', '--config', w.fixed.parties, '--out', auth]);
      if (await ctx.exit(config, 60_000) !== 0) throw new Error(`zonal nats-config failed: ${config.stderr()}`);
      const server = await ctx.nats({ name: 'secured', configFile: join(auth, 'nats-server.conf') });
      const seedFile = (party: string) => join(auth, `${party}.nk`);
      const as = (party: string) => ctx.connect({
        servers: server.url, name: `outsider-as-${party}`, inboxPrefix: `_INBOX_${party.replace('-', '')}`,
        authenticator: nkeyAuthenticator(new TextEncoder().encode(readFileSync(seedFile(party), 'utf8').trim())),
      });
      const refusedAtConnect = async (how: () => Promise<NatsConnection>): Promise<Outcome> => {
        try {
          const nc = await how();
          await nc.close();
          return { ok: false, happened: 'CONNECTED' };
        } catch (e) {
          const said = (e as Error).message;
          return { ok: /authorization/i.test(said), happened: `refused: "${said}"` };
        }
      };
      const anonymous = await refusedAtConnect(() => ctx.connect({ servers: server.url, reconnect: false }));
      const stranger = await refusedAtConnect(() => ctx.connect({
        servers: server.url, reconnect: false,
        authenticator: nkeyAuthenticator(new TextEncoder().encode('SUAIBDPBAUTWCWBKIO6XHQNINK5FWJW4OHLXC3HQ2KFE4PEJUA44CNHTC4')),
      }));

      // A negotiation with every party on its own key; the DSO's side watched with the DSO's key.
      const runId = newRunId('secured');
      const dsoEye = await as('dso');
      const announces: Array<{ zone: string; data: Uint8Array }> = [];
      dsoEye.subscribe(`zonal.${runId}.zone.*.announce`, { callback: (err, m) => { if (!err) announces.push({ zone: m.subject.split('.')[3], data: m.data }); } });
      const seen = watchRounds(dsoEye, runId);
      await dsoEye.flush();
      const run = startRun(ctx, w.fixed, {
        label: 'secured', runId,
        dso: { nats: server.url, args: ['--nats-nkey', seedFile('dso')] },
        zone: (id) => ({ nats: server.url, env: { ZONAL_NATS_NKEY: seedFile(`zone-${id}`) } }),
      });
      await ctx.until(() => seen.rounds.includes(2), 'round 2');

      const zone1 = await as('zone-1');
      const violations: string[] = [];
      void (async () => { for await (const s of zone1.status()) if (s.type === 'error') violations.push(String((s as { error?: Error }).error?.message ?? s.type)); })();
      // Zone 2's real announce, word for word, published with zone 1's key.
      const real = announces.find((a) => a.zone === '2');
      const before = announces.length;
      zone1.publish(`zonal.${runId}.zone.2.announce`, real?.data ?? '{}');
      await zone1.flush().catch(() => undefined);
      await sleep(300);
      const announceRow: Outcome = {
        ok: !!real && announces.length === before && violations.some((v) => /permissions violation/i.test(v)),
        happened: `${real ? 'zone 2\'s own announce replayed' : 'no announce of zone 2 seen'}; the DSO's key saw ${announces.length - before} new; server: "${violations.at(-1) ?? 'nothing'}"`,
      };
      const heard: string[] = [], subRefusals: string[] = [];
      zone1.subscribe(`zonal.${runId}.zone.2.solve`, { callback: (err, m) => { if (err) subRefusals.push(err.message); else heard.push(m.subject); } });
      await zone1.flush().catch(() => undefined);
      const roundsThen = seen.rounds.length;
      await ctx.until(() => seen.rounds.length > roundsThen || !run.dso.running(), 'another round');
      const listenRow: Outcome = {
        ok: heard.length === 0 && subRefusals.some((m) => /permissions violation/i.test(m)),
        happened: `heard ${heard.length} request(s) over a round; "${subRefusals.at(-1) ?? 'no refusal'}"`,
      };
      let violationsBefore = violations.length;
      zone1.publish(`zonal.${runId}.round`, JSON.stringify({
        v: 2, type: 'roundRecord', runId, sender: 'dso', seq: 1, body: {
          round: 1, method: 'admm', rho: 0.01, primalResidualKw: 0, dualResidualKw: 0, totalCostYuan: 1, relCostChange: null, converged: true, zones: [], instance: 'f0f0f0f0f0f0',
        },
      }));
      await zone1.flush().catch(() => undefined);
      await sleep(300);
      const recordRefusal = violations.slice(violationsBefore).find((v) => /permissions violation/i.test(v));
      const forgedSeen = seen.instances.has('f0f0f0f0f0f0');
      violationsBefore = violations.length;
      zone1.publish(`zonal.${runId}.control`, JSON.stringify({ v: 2, type: 'control', runId, sender: 'dso', seq: 99, body: { command: 'shutdown', reason: 'forged' } }));
      await zone1.flush().catch(() => undefined);
      await sleep(300);
      const stillRunning = [...run.zones.values()].filter((z) => z.running()).length;
      const { code, zoneCodes, report } = await finish(ctx, run);
      const result = versusReference(report, w);
      const zonesOk = [...zoneCodes.values()].every((c) => c === 0);
      const controlRow: Outcome = {
        ok: violations.length > violationsBefore && stillRunning === w.fixed.zoneIds.length && result.ok && code === 1 && zonesOk,
        happened: `server: "${violations.at(-1) ?? 'nothing'}"; ${stillRunning} of ${w.fixed.zoneIds.length} zones still running after it; ${result.happened}`,
      };
      // Read back with the observer's key: the forged record is not in the stream.
      const observer = await NatsTransport.connect({ servers: server.url, name: 'observer', runId, requireJetStream: false, auth: { nkeySeedFile: seedFile('observer') } });
      const stored = await (await openRecorder(observer)).readRounds(runId).finally(() => observer.close());
      const recordRow: Outcome = {
        ok: !!recordRefusal && !forgedSeen && stored.instances.length === 1 && stored.foreign.length === 0 && stored.duplicates.length === 0,
        happened: `server: "${recordRefusal ?? 'nothing'}"; ${forgedSeen ? 'SEEN live' : 'not seen live'}; read back (observer key): ${stored.records.length} records, ${stored.instances.length} instance(s)`,
      };
      return [anonymous, stranger, announceRow, listenRow, recordRow, controlRow];
    },
  },
  // ---------------------------------------------------------------- faults
  {
    // Two zone faults in one run (each its own zone): zone 2 killed and restarted, zone 3 frozen.
    id: 'zone-faults',
    timeoutS: 300,
    rows: [
      { name: 'zone 2 SIGKILL mid-run, restarted', kind: 'fault', expected: 'timed out while gone, rejoins; converges near the optimum' },
      { name: 'zone 3 SIGSTOP 5 s mid-run (zone timeout 2 s), SIGCONT', kind: 'fault', expected: 'timed out while stopped, answers again; converges near the optimum' },
    ],
    async run(ctx, w) {
      const server = await ctx.nats({ name: 'open', jetstream: true });
      const runId = newRunId('zonefaults');
      const watcher = await ctx.connect({ servers: server.url, name: 'watcher' });
      const seen = watchRounds(watcher, runId);
      await watcher.flush();
      const run = startRun(ctx, w.converging, { label: 'zonefaults', runId, dso: { nats: server.url, args: ['--oracle', w.converging.parties] }, zone: () => ({ nats: server.url }) });
      // Once both have answered a round (a slow first answer can time out on a loaded machine).
      const answered = () => [...seen.replied.values()].some((z) => z.has('2') && z.has('3'));
      await ctx.until(answered, 'a round answered by zones 2 and 3');
      const zone2 = run.zones.get(2)!, zone3 = run.zones.get(3)!;
      zone2.child.kill('SIGKILL');
      const faultAt = Math.max(...seen.rounds);
      // Zone 3 is frozen as the DSO's next request reaches it (the DSO's own step can outlast 5 s on a loaded machine).
      let asked = false, stoppedRound = 0;
      const requests = watcher.subscribe(`zonal.${runId}.zone.3.solve`, {
        callback: (_err, m) => {
          if (asked) return;
          zone3.child.kill('SIGSTOP');
          asked = true;
          try { stoppedRound = (JSON.parse(m.string()) as { body: { round: number } }).body.round; } catch { /* its round unread */ }
        },
      });
      await zone2.exited;
      const restarted = startZone(ctx, w.converging, 2, runId, { nats: server.url });
      await ctx.until(() => asked || !run.dso.running(), 'the next request to zone 3');
      requests.unsubscribe();
      await sleep(5000);
      zone3.child.kill('SIGCONT');
      const { code, zoneCodes, report: r } = await finish(ctx, { ...run, zones: new Map([...run.zones].filter(([id]) => id !== 2)) });
      const restartedCode = await ctx.exit(restarted, 30_000);
      const near = nearOptimum(r);
      const timeoutsOf = (id: number) => r?.incidents.filter((i) => i.zoneId === id && i.status === 'timeout').map((i) => i.round) ?? [];
      const lastAnswered = (id: number) => (r ? !r.incidents.some((i) => i.zoneId === id && i.round === r.rounds) : false);
      const rejoined = /zone 2 announced again \(rejoined\)/.test(run.dso.stderr());
      const done = `${near.happened}; DSO exit ${code}`;
      return [{
        ok: near.ok && code === 0 && rejoined && timeoutsOf(2).length > 0 && lastAnswered(2) && restartedCode === 0,
        happened: `killed after round ${faultAt}; timed out in round(s) ${timeoutsOf(2).join(',') || 'none'}; ${rejoined ? 'rejoined' : 'never rejoined'}, restarted process exit ${restartedCode}; ${done}`,
      }, {
        ok: near.ok && code === 0 && timeoutsOf(3).length > 0 && lastAnswered(3) && zoneCodes.get(3) === 0,
        happened: `stopped at round ${stoppedRound}'s request; timed out in round(s) ${timeoutsOf(3).join(',') || 'none'}; answered the last round, exit ${zoneCodes.get(3)}; ${done}`,
      }];
    },
  },
  {
    id: 'dso-kill',
    timeoutS: 300,
    rows: [{ name: 'DSO SIGKILL after round 3, restarted on the run id', kind: 'fault', expected: 'resumes after round 3; the zones wait and announce again; same result as the reference' }],
    async run(ctx, w) {
      const server = await ctx.nats({ name: 'open', jetstream: true });
      const runId = newRunId('dsokill');
      const watcher = await ctx.connect({ servers: server.url, name: 'watcher' });
      const seen = watchRounds(watcher, runId);
      await watcher.flush();
      const run = startRun(ctx, w.fixed, { label: 'dsokill', runId, dso: { nats: server.url }, zone: () => ({ nats: server.url, args: ['--dso-silence-s', '2', '--dso-wait-s', '120'] }) });
      await ctx.until(() => seen.rounds.includes(3), 'round 3');
      run.dso.child.kill('SIGKILL');
      await run.dso.exited;
      await ctx.until(() => [...run.zones.values()].every((z) => /no word from the DSO/.test(z.stderr())), 'the zones noticing the DSO is gone', 30_000);
      const second = startDso(ctx, w.fixed, runId, run.out, { nats: server.url });
      const { code, zoneCodes, report } = await finish(ctx, { ...run, dso: second });
      const resumed = lastLine(second.stderr(), /resuming run/);
      const back = [...run.zones.values()].filter((z) => /the DSO is back; announcing again/.test(z.stderr())).length;
      const result = versusReference(report, w);
      return [{
        ok: result.ok && code === 1 && /resuming run .*: 4 zone\(s\) announced before the restart, [23] round\(s\) completed/.test(resumed) && back === w.fixed.zoneIds.length && [...zoneCodes.values()].every((c) => c === 0),
        happened: `"${resumed.replace(/^dso: /, '')}"; ${back} zones announced again; ${result.happened}`,
      }];
    },
  },
  {
    id: 'nats-stop',
    timeoutS: 300,
    background: true,
    rows: [{ name: 'NATS server stopped mid-run under `zonal sim --nats URL`', kind: 'fault', expected: 'zonal sim exits non-zero within its budget, one clear line, no process of the run left' }],
    async run(ctx, w) {
      const server = await ctx.nats({ name: 'open', jetstream: true });
      const watcher = await ctx.connect({ servers: server.url, name: 'watcher', reconnect: false });
      const rounds: number[] = [];
      watcher.subscribe('zonal.*.round', { callback: (err) => { if (!err) rounds.push(rounds.length + 1); } });
      await watcher.flush();
      const sim = ctx.start('zonal sim', ZONAL, ['sim', '--scenario', w.sim.scenario, '--nats', server.url, '--out', join(ctx.dir, 'sim')]);
      await ctx.until(() => rounds.length >= 2, 'round 2 of zonal sim', 120_000);
      const agents = childrenOf(sim.pid);
      await server.stop('SIGTERM');
      const stoppedAt = Date.now();
      const code = await ctx.exit(sim, 230_000);
      const seconds = (Date.now() - stoppedAt) / 1000;
      await sleep(500);
      const left = agents.filter(processAlive);
      const budget = w.sim.budgetS;
      const said = lastLine(`${sim.stderr()}\n${sim.stdout()}`, /NOT converged|error:/);
      return [{
        ok: code !== 0 && seconds < budget && /NOT converged: stopped by|error:/.test(said) && left.length === 0 && agents.length === w.fixed.zoneIds.length + 1,
        happened: `exit ${code} ${seconds.toFixed(0)} s after the stop (budget ${budget} s): "${said}"; ${agents.length} agent processes (pids ${agents.join(',')}), ${left.length} left`,
      }];
    },
  },
  {
    id: 'nats-restart',
    timeoutS: 300,
    rows: [{ name: 'NATS server stopped after round 2, back 4 s later', kind: 'fault', expected: 'every party reconnects; same result as the reference, every round recorded once' }],
    async run(ctx, w) {
      const server = await ctx.nats({ name: 'open', jetstream: true });
      const runId = newRunId('restart');
      const watcher = await ctx.connect({ servers: server.url, name: 'watcher', maxReconnectAttempts: -1 });
      const seen = watchRounds(watcher, runId);
      await watcher.flush();
      const run = startRun(ctx, w.fixed, { label: 'restart', runId, dso: { nats: server.url }, zone: () => ({ nats: server.url }) });
      await ctx.until(() => seen.rounds.includes(2), 'round 2');
      await server.stop('SIGTERM');
      await sleep(4000);
      await server.launch();
      const { code, report: r } = await finish(ctx, run);
      const result = versusReference(r, w);
      if (!r) return [result];
      const history = await readBack(ctx, server.url, runId, r.recordInstance ? [r.recordInstance] : undefined);
      const recorded = history.records.map((x) => x.body.round);
      const clean = sameList(recorded, allRounds(r.rounds)) && history.duplicates.length === 0 && (r.unrecordedRounds ?? []).length === 0;
      return [{
        ok: result.ok && clean && code === 1,
        happened: `${result.happened}; ${recorded.length} rounds read back, unrecorded [${(r.unrecordedRounds ?? []).join(',')}]; ${r.incidents.length} incident(s)`,
      }];
    },
  },
  {
    id: 'stream-precreated',
    timeoutS: 300,
    rows: [{ name: 'ZONAL_ROUNDS pre-created by an outsider with other limits', kind: 'fault', expected: 'the run uses it as it is (limits unchanged); every round recorded; same result' }],
    async run(ctx, w) {
      const server = await ctx.nats({ name: 'open', jetstream: true });
      const outsider = await ctx.connect({ servers: server.url, name: 'outsider' });
      const jsm = await jetstreamManager(outsider);
      await jsm.streams.add({
        name: ROUNDS_STREAM, subjects: ['zonal.*.round', 'outsider.>'], storage: StorageType.Memory, retention: RetentionPolicy.Limits,
        discard: DiscardPolicy.New, max_msgs: 500, max_age: 3600 * 1e9, duplicate_window: 5 * 1e9, max_msg_size: 256 * 1024,
      });
      const before = (await jsm.streams.info(ROUNDS_STREAM)).config;
      const run = startRun(ctx, w.fixed, { label: 'precreated', dso: { nats: server.url }, zone: () => ({ nats: server.url }) });
      const { code, report: r } = await finish(ctx, run);
      const result = versusReference(r, w);
      const after = (await jsm.streams.info(ROUNDS_STREAM)).config;
      const kept = JSON.stringify(before) === JSON.stringify(after);
      const history = r ? await readBack(ctx, server.url, run.runId, r.recordInstance ? [r.recordInstance] : undefined) : null;
      const recorded = history?.records.map((x) => x.body.round) ?? [];
      return [{
        ok: result.ok && code === 1 && kept && !!r && sameList(recorded, allRounds(r.rounds)),
        happened: `stream ${kept ? 'unchanged (memory, 500 msgs, 1 h, discard new)' : 'CHANGED'}; ${recorded.length} rounds recorded in it; ${result.happened}`,
      }];
    },
  },
  {
    id: 'no-jetstream',
    timeoutS: 300,
    rows: [{ name: 'server without JetStream', kind: 'fault', expected: 'the run goes on and says its rounds are not recorded; same result' }],
    async run(ctx, w) {
      const server = await ctx.nats({ name: 'plain', jetstream: false });
      const run = startRun(ctx, w.fixed, { label: 'nojs', dso: { nats: server.url }, zone: () => ({ nats: server.url }) });
      const { code, report: r } = await finish(ctx, run);
      const result = versusReference(r, w);
      const said = lastLine(run.dso.stderr(), /rounds are not recorded/);
      const unrecorded = r?.unrecordedRounds ?? [];
      return [{
        ok: result.ok && code === 1 && /JetStream/i.test(said) && !!r && sameList(unrecorded, allRounds(r.rounds)),
        happened: `"${said.replace(/^dso: /, '')}"; unrecordedRounds 1..${unrecorded.at(-1) ?? '?'}; ${result.happened}`,
      }];
    },
  },
  {
    id: 'cluster',
    timeoutS: 300,
    rows: [{ name: '3-server cluster loses the stream leader (SIGKILL) after round 2', kind: 'fault', expected: 'same result as the reference, every round recorded once on the R3 stream' }],
    async run(ctx, w) {
      const cluster = await startCluster(ctx, 3);
      const url = (i: number) => cluster[i].url;
      const runId = newRunId('cluster');
      const watcher = await ctx.connect({ servers: cluster.map((s) => s.url), name: 'watcher', maxReconnectAttempts: -1 });
      const seen = watchRounds(watcher, runId);
      await watcher.flush();
      // The DSO on server 1, the zones on servers 2 and 3; each learns the others from the cluster and fails over.
      const run = startRun(ctx, w.fixed, {
        label: 'cluster', runId, dso: { nats: url(0), args: ['--rounds-replicas', '3'] }, zone: (id) => ({ nats: url(1 + (id % 2)) }),
      });
      await ctx.until(() => seen.rounds.includes(2), 'round 2');
      const jsm = await jetstreamManager(watcher);
      const leaderName = (await jsm.streams.info(ROUNDS_STREAM)).cluster?.leader;
      const replicas = (await jsm.streams.info(ROUNDS_STREAM)).config.num_replicas;
      const leader = cluster.find((s) => s.name === leaderName);
      if (!leader) throw new Error(`no server leads ${ROUNDS_STREAM} (${leaderName})`);
      await leader.stop('SIGKILL');
      const { code, report: r } = await finish(ctx, run);
      const result = versusReference(r, w);
      if (!r) return [result];
      const survivors = cluster.filter((s) => s.running).map((s) => s.url);
      const history = await readBack(ctx, survivors, runId, r.recordInstance ? [r.recordInstance] : undefined);
      const recorded = history.records.map((x) => x.body.round);
      const clean = sameList(recorded, allRounds(r.rounds)) && history.duplicates.length === 0 && history.foreign.length === 0 && (r.unrecordedRounds ?? []).length === 0;
      const newLeader = (await jsm.streams.info(ROUNDS_STREAM).catch(() => null))?.cluster?.leader;
      return [{
        ok: result.ok && clean && code === 1,
        happened: `killed ${leader.name} (the leader of the R${replicas} stream), new leader ${newLeader ?? '?'}; ${recorded.length} rounds read back once each, unrecorded [${(r.unrecordedRounds ?? []).join(',')}]; ${result.happened}`,
      }];
    },
  },
];

