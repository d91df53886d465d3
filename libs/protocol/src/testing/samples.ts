/**
 * Hand-written valid bodies of every message type (three periods), for tests. Each test mutates a
 * copy (structuredClone) to make exactly one thing wrong.
 */
import type { BodyOf, Draft, Message, MessageType } from '../messages';
import { PROTOCOL_VERSION } from '../messages';

export const sampleBodies: { [K in MessageType]: BodyOf<K> } = {
  announce: {
    zoneId: 'z1',
    buses: [2, 3, 4, 5],
    periods: 3,
    dtH: 1,
    policy: 'direct-control',
    eta: 0.95,
    degradationYuanPerKwh: 0.05,
    peakTieBreakYuanPerKw: 0.001,
    baseNetLoadKw: [100.5, 90.25, 80],
    groups: [{ shiftPeriods: 0, evCount: 2, pMinKw: [0, -7, 0], pMaxKw: [14, 14, 7], eMinKwh: [0, 0, 5, 10], eMaxKwh: [0, 14, 28, 30] }],
    busProfiles: [{ bus: 3, flexKw: [14, 21, 7], uncoordinatedKw: [14, 7, 0] }],
    evCount: 2,
    evsLeftOut: 0,
  },
  windowRequest: { zoneId: 'z1', action: 'commit', startPeriod: 1, periods: 1, plan: { kind: 'agreed', round: 2 } },
  windowReply: {
    zoneId: 'z1',
    action: 'open',
    startPeriod: 1,
    window: {
      announce: {
        zoneId: 'z1', buses: [2, 3], periods: 3, dtH: 1, policy: 'direct-control', eta: 0.95, degradationYuanPerKwh: 0.05, peakTieBreakYuanPerKw: 0.001,
        baseNetLoadKw: [107.5, 90.25, 80], groups: [{ shiftPeriods: 1, evCount: 1, pMinKw: [0, 0], pMaxKw: [7, 7], eMinKwh: [0, 0, 5], eMaxKwh: [0, 7, 14] }],
        busProfiles: [{ bus: 3, flexKw: [0, 7, 7], uncoordinatedKw: [0, 7, 0] }], evCount: 1, evsLeftOut: 0,
      },
      pastBusPKw: [{ bus: 3, pKw: [7, 0, 0] }],
      onPlan: false,
      realisedEvs: 1,
      forecastEvs: 0,
      cappedKwh: 0,
    },
  },
  solveRequest: {
    zoneId: 'z1',
    round: 4,
    targetPKw: [120, 110, 100],
    priceYuanPerKwh: [0.35, 0.68, 1.12],
    rho: 0.5,
    excessPenaltyYuanPerKwh: 1.68,
    consensus: [
      { fromBus: 6, toBus: 7, quantity: 'pKw', reference: [10, 20, 30], scaledDual: [0, 0.1, -0.2] },
      { fromBus: 6, toBus: 7, quantity: 'vSqPu', reference: [0.95, 0.94, 0.96], scaledDual: [0, 0, 0] },
    ],
  },
  solveReply: {
    zoneId: 'z1',
    round: 4,
    status: 'optimal',
    pKw: [110, 105.5, 99],
    qKvar: [50, 48, 45],
    costYuan: 321.75,
    tieLineFlows: [{ fromBus: 6, toBus: 7, pKw: [11, 19, 29], qKvar: [5, 6, 7] }],
    envelope: { pMinKw: [0, 0, 0], pMaxKw: [7, 7, 7], eMinKwh: [0, 2, 4], eMaxKwh: [7, 14, 21] },
  },
  areaRequest: {
    areaId: 2,
    action: 'solve',
    signal: { round: 3, rho: 0.03, z: [120, 40, 0.98, 0.97], u: [0.5, 0, -0.1, 0], scale: [1, 1, 5e5, 5e5], weightH: [1, 1, 1, 1], term: 'consensus', tangentScaleKw: 0.5 },
  },
  areaReply: {
    areaId: 2,
    action: 'solve',
    answer: {
      round: 3, x: [119.5, 40.2, 0.98, 0.969], costYuan: 812.5,
      costs: { purchaseYuan: 0, dieselYuan: 0, curtailmentYuan: 0, carbonYuan: 0, demandChargeYuan: 0, penaltyYuan: 2.5, degradationYuan: 810, tieBreakYuan: 0 },
      zoneEvKw: [[10, 20, 30]], holdDuals: [null, null, null, null], solveMs: 12.5, solves: 1,
    },
  },
  roundRecord: {
    round: 4,
    method: 'admm',
    rho: 0.5,
    primalResidualKw: 3.2,
    dualResidualKw: 1.1,
    totalCostYuan: 25_000.5,
    relCostChange: 0.002,
    converged: false,
    zones: [
      { zoneId: 'z1', status: 'replied', costYuan: 321.75, pKw: [110, 105.5, 99] },
      { zoneId: 'z2', status: 'timeout', costYuan: null, pKw: [], detail: 'no reply within 2000 ms' },
    ],
  },
  control: { command: 'start', reason: 'all zones announced' },
  status: { state: 'running', round: 4, zonesKnown: ['z1', 'z2'] },
  error: { code: 'internal', message: 'solver failed', where: 'body.pKw', inReplyTo: { type: 'solveRequest', seq: 9 } },
};

export function sampleDraft<T extends MessageType>(type: T): Draft<T> {
  return { type, body: structuredClone(sampleBodies[type]) } as Draft<T>;
}

export function sampleMessage<T extends MessageType>(type: T, runId = 'run1', sender = 'dso'): Message<T> {
  return {
    v: PROTOCOL_VERSION,
    type,
    runId,
    sender,
    seq: 7,
    sentAt: '2025-11-23T08:00:00.000Z',
    body: structuredClone(sampleBodies[type]),
  } as Message<T>;
}
