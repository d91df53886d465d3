/**
 * The network-split method over a transport (SPEC §8 step 0: parties, not replicas): a zone agent
 * that owns its part of the feeder serves it as an area on `zonal.<run>.zone.<id>.area`, and the
 * DSO's coordinator reaches each area as an `AreaPort` that sends `areaRequest`s. What crosses is the
 * boundary only (protocol messages.ts `areaRequestBody` / `areaReplyBody`): the coordinator never
 * sees an area's buses, loads or EVs.
 */
import { InputError, ZonalError } from '@zonal/core';
import { unwrapReply, type BodyOf, type Draft, type Subscription, type Transport } from '@zonal/protocol';
import type { AreaSignal } from './area-model';
import type { AreaPort, AreaReply, LineFlow, LossCorrection, SweepFeed } from './area-port';
import type { AreaBoundary } from './areas';

/** Serves `area` on its subject until the subscription is dropped. Await `transport.flush()` before telling the DSO. */
export function serveArea(transport: Transport, area: AreaPort, opts: { onError?: (e: unknown) => void } = {}): Subscription {
  return transport.serve(transport.subjects.zoneArea(String(area.id)), async (message): Promise<Draft> => {
    if (message.type !== 'areaRequest') throw new InputError(`area ${area.id} answers areaRequest only`, 'type');
    const req = message.body;
    if (req.areaId !== area.id) throw new InputError(`this is area ${area.id}, not ${req.areaId}`, 'body.areaId');
    switch (req.action) {
      case 'declare':
        return reply(area.id, 'declare', { declaration: { isRoot: area.isRoot, ...declared(area.boundary) } });
      case 'solve': {
        const ans = await area.solve(signalFrom(req.signal!));
        return reply(area.id, 'solve', { answer: answerBody(ans) });
      }
      case 'losses': {
        const feed: SweepFeed = { incomingVmPu: req.incomingVmPu ? Float64Array.from(req.incomingVmPu) : null, outgoing: req.outgoing!.map(lineFlowFrom) };
        const c = await area.correctLosses(Float64Array.from(req.agreed!), feed);
        return reply(area.id, 'losses', {
          correction: { vGapPu: c.vGapPu, incoming: c.incoming && lineFlowBody(c.incoming), outgoingVmPu: c.outgoingVmPu.map((a) => Array.from(a)) },
        });
      }
    }
  }, { accepts: ['areaRequest'], ...(opts.onError ? { onError: opts.onError } : {}) });
}

/**
 * The coordinator's port to area `areaId`, served elsewhere: asks for its declaration first (for up
 * to `waitForServeMs` while nobody serves it yet). Each request has `timeoutMs`; an area that does
 * not answer, or answers out of turn, stops the split with an error naming it (there is no boundary
 * to agree on without it).
 */
export async function remoteArea(transport: Transport, areaId: number, timeoutMs: number, opts: { waitForServeMs?: number } = {}): Promise<AreaPort> {
  const subject = transport.subjects.zoneArea(String(areaId));
  const check = (body: BodyOf<'areaRequest'>, got: BodyOf<'areaReply'>): BodyOf<'areaReply'> => {
    if (got.areaId !== areaId || got.action !== body.action) throw new ZonalError(`answered as area ${got.areaId} to ${got.action}, asked area ${areaId} to ${body.action}`, subject);
    return got;
  };
  const ask = async (body: BodyOf<'areaRequest'>): Promise<BodyOf<'areaReply'>> =>
    check(body, unwrapReply(await transport.request(subject, { type: 'areaRequest', body }, { timeoutMs, expect: 'areaReply' })).body);
  // An area process may still be starting: its subject has no responder until it serves.
  const declare = { areaId, action: 'declare' } as const;
  const serving = Date.now() + (opts.waitForServeMs ?? 0);
  let declared = await transport.request(subject, { type: 'areaRequest', body: declare }, { timeoutMs, expect: 'areaReply' });
  while (!declared.ok && declared.failure.kind === 'noResponders' && Date.now() < serving) {
    await new Promise((r) => setTimeout(r, 200));
    declared = await transport.request(subject, { type: 'areaRequest', body: declare }, { timeoutMs, expect: 'areaReply' });
  }
  const d = check(declare, unwrapReply(declared).body).declaration!;
  const boundary: AreaBoundary = { areaId, periods: d.periods, dtH: d.dtH, cutLines: d.cutLines, carbon: d.carbon, carbonContributors: d.carbonContributors };
  return {
    id: areaId,
    isRoot: d.isRoot,
    boundary,
    async solve(signal: AreaSignal): Promise<AreaReply> {
      const a = (await ask({ areaId, action: 'solve', signal: signalBody(signal) })).answer!;
      return {
        areaId, round: a.round, x: Float64Array.from(a.x), costYuan: a.costYuan, costs: a.costs,
        zoneEvKw: a.zoneEvKw.map((s) => Float64Array.from(s)), holdDuals: Float64Array.from(a.holdDuals, (v) => v ?? NaN),
        solveMs: a.solveMs, solves: a.solves,
      };
    },
    async correctLosses(agreed: Float64Array, feed: SweepFeed): Promise<LossCorrection> {
      const c = (await ask({
        areaId, action: 'losses', agreed: Array.from(agreed),
        incomingVmPu: feed.incomingVmPu && Array.from(feed.incomingVmPu), outgoing: feed.outgoing.map(lineFlowBody),
      })).correction!;
      return { vGapPu: c.vGapPu, incoming: c.incoming && lineFlowFrom(c.incoming), outgoingVmPu: c.outgoingVmPu.map((a) => Float64Array.from(a)) };
    },
  };
}

function reply(areaId: number, action: 'declare' | 'solve' | 'losses', rest: Partial<BodyOf<'areaReply'>>): Draft {
  return { type: 'areaReply', body: { areaId, action, ...rest } };
}

function declared(b: AreaBoundary) {
  return { periods: b.periods, dtH: b.dtH, cutLines: b.cutLines.map((l) => ({ ...l })), carbon: b.carbon, carbonContributors: [...b.carbonContributors] };
}

type SignalBody = NonNullable<BodyOf<'areaRequest'>['signal']>;

function signalBody(s: AreaSignal): SignalBody {
  return {
    round: s.round, rho: s.rho, z: Array.from(s.z), u: Array.from(s.u), scale: Array.from(s.scale), weightH: Array.from(s.weightH), term: s.term,
    ...(s.price ? { price: Array.from(s.price) } : {}),
    ...(s.hold ? { hold: Array.from(s.hold, (h) => (h ? 1 : 0) as 0 | 1) } : {}),
    ...(s.tangentScaleKw !== undefined ? { tangentScaleKw: s.tangentScaleKw } : {}),
  };
}

function signalFrom(s: SignalBody): AreaSignal {
  return {
    round: s.round, rho: s.rho, z: Float64Array.from(s.z), u: Float64Array.from(s.u), scale: Float64Array.from(s.scale), weightH: Float64Array.from(s.weightH), term: s.term,
    ...(s.price ? { price: Float64Array.from(s.price) } : {}),
    ...(s.hold ? { hold: Uint8Array.from(s.hold) } : {}),
    ...(s.tangentScaleKw !== undefined ? { tangentScaleKw: s.tangentScaleKw } : {}),
  };
}

function answerBody(a: AreaReply): NonNullable<BodyOf<'areaReply'>['answer']> {
  return {
    round: a.round, x: Array.from(a.x), costYuan: a.costYuan, costs: { ...a.costs }, zoneEvKw: a.zoneEvKw.map((s) => Array.from(s)),
    holdDuals: Array.from(a.holdDuals, (v) => (Number.isFinite(v) ? v : null)), solveMs: a.solveMs, solves: a.solves,
  };
}

function lineFlowBody(f: LineFlow) {
  return { pKw: Array.from(f.pKw), qKvar: Array.from(f.qKvar), currentSqPu: Array.from(f.currentSqPu) };
}

function lineFlowFrom(f: { pKw: number[]; qKvar: number[]; currentSqPu: number[] }): LineFlow {
  return { pKw: Float64Array.from(f.pKw), qKvar: Float64Array.from(f.qKvar), currentSqPu: Float64Array.from(f.currentSqPu) };
}
