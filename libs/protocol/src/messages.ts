/**
 * The versioned data contracts between the DSO and the zone agents (SPEC §8, STYLE.md lesson 4).
 * Every message is an envelope `{ v, type, runId, sender, seq, sentAt?, body }`; each `type` has one
 * body schema. Objects are strict (an unknown key is an error, so a misspelt field never passes
 * silently); a change to any schema bumps `PROTOCOL_VERSION`. A new message type changes none (an
 * agent without it refuses it by name, as any unknown type), so the area messages came in at 2.
 *
 * Units and signs follow SPEC §2: kW / kvar / kWh / yuan; load and charging positive. A per-period
 * series has one entry per period t = 0..T-1; every series in one body has the same length T.
 * Energy series (`eMinKwh`, `eMaxKwh`) hold the aggregate energy at the *end* of period t.
 * Tie-line quantities are measured from `fromBus` towards `toBus`, as the branch is written in the feeder.
 * zod 4's `z.number()` refuses NaN and ±Infinity, so "finite" needs no extra check.
 */
import { z } from 'zod';

export const PROTOCOL_VERSION = 2;

/**
 * Slack on `pMin <= pMax` and `eMin <= eMax`: boundaries computed by two different formulas can cross
 * by rounding noise when an EV's window is exactly tight; 1e-6 kW(h) is physically nothing.
 */
export const ORDER_TOLERANCE = 1e-6;

const token = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected an id of 1-64 characters from A-Z a-z 0-9 _ -');
const series = z.array(z.number());
const busId = z.int().min(1);
const round = z.int().min(0);
const nonNegative = z.number().min(0);

type Ctx = z.core.$RefinementCtx;

/** Adds an issue on every series whose length differs from the first one named. */
function checkSameLength(value: Record<string, unknown>, keys: readonly string[], ctx: Ctx, path: PropertyKey[] = []) {
  const lengthOf = (k: string) => (Array.isArray(value[k]) ? (value[k] as unknown[]).length : undefined);
  const [first, ...rest] = keys.filter((k) => lengthOf(k) !== undefined);
  if (first === undefined) return;
  for (const k of rest) {
    if (lengthOf(k) !== lengthOf(first)) {
      ctx.addIssue({
        code: 'custom',
        path: [...path, k],
        message: `has ${lengthOf(k)} periods, but ${first} has ${lengthOf(first)}`,
      });
    }
  }
}

function checkOrdered(lower: number[], upper: number[], lowerName: string, upperName: string, ctx: Ctx, path: PropertyKey[]) {
  const t = lower.findIndex((lo, i) => i < upper.length && lo > upper[i] + ORDER_TOLERANCE);
  if (t >= 0) {
    ctx.addIssue({
      code: 'custom',
      path: [...path, lowerName, t],
      message: `${lowerName}[${t}] = ${lower[t]} exceeds ${upperName}[${t}] = ${upper[t]}`,
    });
  }
}

function checkUnique<T>(items: T[], keyOf: (item: T) => string, what: string, ctx: Ctx, path: PropertyKey[]) {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    const key = keyOf(item);
    if (seen.has(key)) ctx.addIssue({ code: 'custom', path: [...path, i], message: `duplicate ${what} ${key}` });
    seen.add(key);
  });
}

const ENVELOPE_SERIES = ['pMinKw', 'pMaxKw', 'eMinKwh', 'eMaxKwh'] as const;

/** Aggregate power–energy envelope of a zone (seed 003): an outer approximation, see SPEC §6. */
const flexibilityFields = {
  pMinKw: series,
  pMaxKw: series,
  eMinKwh: series,
  eMaxKwh: series,
};

function checkEnvelope(env: Record<(typeof ENVELOPE_SERIES)[number], number[]>, ctx: Ctx, path: PropertyKey[]) {
  checkOrdered(env.pMinKw, env.pMaxKw, 'pMinKw', 'pMaxKw', ctx, path);
  checkOrdered(env.eMinKwh, env.eMaxKwh, 'eMinKwh', 'eMaxKwh', ctx, path);
}

const branchEnds = { fromBus: busId, toBus: busId };
const lineName = (l: { fromBus: number; toBus: number }) => `${l.fromBus}-${l.toBus}`;

function checkBranchEnds(l: { fromBus: number; toBus: number }, ctx: Ctx) {
  if (l.fromBus === l.toBus) ctx.addIssue({ code: 'custom', path: ['toBus'], message: `equals fromBus (${l.fromBus})` });
}

/**
 * One envelope group of a zone's fleet (SPEC §6, libs/ev groups.ts): the per-period sums of its EVs'
 * battery-side power limits and energy bounds — an aggregate, never an EV. Its day is rotated so the
 * anchor (energy 0) sits where none of its EVs is plugged in: its period τ is the day's
 * (τ + shiftPeriods) mod T. The series cover τ = 0..span−1 (energies: boundaries 0..span); after the
 * span no EV of the group moves energy, so its powers are 0 and its energy bounds stay at the last.
 */
const envelopeGroupBody = z
  .strictObject({
    shiftPeriods: z.int().min(0),
    evCount: z.int().min(0),
    pMinKw: series,
    pMaxKw: series,
    eMinKwh: series,
    eMaxKwh: series,
  })
  .superRefine((g, ctx) => {
    checkSameLength(g, ['pMinKw', 'pMaxKw'], ctx);
    for (const key of ['eMinKwh', 'eMaxKwh'] as const) {
      if (g[key].length !== g.pMinKw.length + 1) ctx.addIssue({ code: 'custom', path: [key], message: `has ${g[key].length} boundaries, expected pMinKw's ${g.pMinKw.length} periods + 1` });
    }
    checkOrdered(g.pMinKw, g.pMaxKw, 'pMinKw', 'pMaxKw', ctx, []);
    checkOrdered(g.eMinKwh, g.eMaxKwh, 'eMinKwh', 'eMaxKwh', ctx, []);
  });

/**
 * Per bus of the zone: how its flexibility spreads over the zone's buses (grid-side charge plus
 * discharge limits, kW per period: the DSO places the zone's EV power by these weights), and the
 * bus's EV load if every EV charged at full power from arrival (the DSO's "before coordination").
 */
const busProfileBody = z.strictObject({ bus: busId, flexKw: series, uncoordinatedKw: series })
  .superRefine((b, ctx) => checkSameLength(b, ['flexKw', 'uncoordinatedKw'], ctx));

/**
 * Zone → DSO (SPEC §8 step 1): who the zone is, its flexibility as aggregates per period (envelope
 * groups and bus profiles) and its declared marginal costs. Nothing in it describes one EV.
 */
export const announceBody = z
  .strictObject({
    zoneId: token,
    buses: z.array(busId).min(1),
    periods: z.int().min(1),
    dtH: z.number().positive(),
    policy: token,
    /** One charging efficiency for the zone's EVs (grid side = battery / eta, × eta discharging). */
    eta: z.number().gt(0).max(1),
    degradationYuanPerKwh: nonNegative,
    peakTieBreakYuanPerKw: nonNegative,
    baseNetLoadKw: series.min(1),
    groups: z.array(envelopeGroupBody),
    busProfiles: z.array(busProfileBody),
    /** EVs summed into the groups, and EVs the zone left out (short stay, unreachable target): counts only. */
    evCount: z.int().min(0),
    evsLeftOut: z.int().min(0),
  })
  .superRefine((b, ctx) => {
    if (b.baseNetLoadKw.length !== b.periods) ctx.addIssue({ code: 'custom', path: ['baseNetLoadKw'], message: `has ${b.baseNetLoadKw.length} periods, but periods is ${b.periods}` });
    b.groups.forEach((g, i) => {
      if (g.pMinKw.length > b.periods) ctx.addIssue({ code: 'custom', path: ['groups', i, 'pMinKw'], message: `spans ${g.pMinKw.length} periods, more than the day's ${b.periods}` });
      if (g.shiftPeriods >= b.periods) ctx.addIssue({ code: 'custom', path: ['groups', i, 'shiftPeriods'], message: `is ${g.shiftPeriods}, not below periods (${b.periods})` });
    });
    b.busProfiles.forEach((p, i) => {
      if (p.flexKw.length !== b.periods) ctx.addIssue({ code: 'custom', path: ['busProfiles', i, 'flexKw'], message: `has ${p.flexKw.length} periods, but periods is ${b.periods}` });
      if (!b.buses.includes(p.bus)) ctx.addIssue({ code: 'custom', path: ['busProfiles', i, 'bus'], message: `bus ${p.bus} is not one of the zone's buses` });
    });
    checkUnique(b.buses, String, 'bus', ctx, ['buses']);
    checkUnique(b.busProfiles, (p) => String(p.bus), 'bus profile', ctx, ['busProfiles']);
  });

/**
 * One consensus term of the ADMM coordinator (SPEC §8): the zone adds
 * `rho/2 * sum_t (x[t] - reference[t] + scaledDual[t])^2` for its copy x of this tie-line quantity.
 * `scaledDual` is the multiplier divided by rho, so it carries the quantity's own unit.
 */
const consensusTerm = z
  .strictObject({
    ...branchEnds,
    quantity: z.enum(['pKw', 'qKvar', 'vSqPu']),
    reference: series,
    scaledDual: series,
  })
  .superRefine(checkBranchEnds);

/** DSO → zone (SPEC §8 step 2): targets, prices and coupling terms for one round. */
export const solveRequestBody = z
  .strictObject({
    zoneId: token,
    round,
    targetPKw: series.min(1),
    priceYuanPerKwh: series,
    rho: nonNegative,
    /** The seed's target/penalty method: one-sided penalty on net load above targetPKw (w_cg). */
    excessPenaltyYuanPerKwh: nonNegative.optional(),
    consensus: z.array(consensusTerm),
    /**
     * The DSO's headroom for the zone's EVs at some of its buses (kW per period, grid side; null:
     * none that period): branches only this zone's EVs load beside fixed loads.
     */
    evCaps: z.array(z.strictObject({ buses: z.array(z.number().int().min(0)).min(1), maxPKw: z.array(z.number().nullable()) })).optional(),
  })
  .superRefine((b, ctx) => {
    checkSameLength(b, ['targetPKw', 'priceYuanPerKwh'], ctx);
    const periods = b.targetPKw.length;
    b.evCaps?.forEach((c, i) => {
      if (c.maxPKw.length !== periods) ctx.addIssue({ code: 'custom', path: ['evCaps', i, 'maxPKw'], message: `has ${c.maxPKw.length} periods, but targetPKw has ${periods}` });
    });
    b.consensus.forEach((c, i) => {
      for (const key of ['reference', 'scaledDual'] as const) {
        if (c[key].length !== periods) {
          const message = `has ${c[key].length} periods, but targetPKw has ${periods}`;
          ctx.addIssue({ code: 'custom', path: ['consensus', i, key], message });
        }
      }
    });
    checkUnique(b.consensus, (c) => `${lineName(c)} ${c.quantity}`, 'consensus term', ctx, ['consensus']);
  });

const tieLineFlow = z
  .strictObject({ ...branchEnds, pKw: series, qKvar: series })
  .superRefine(checkBranchEnds);

/** Its series are checked against the reply's own period count (in solveReplyBody). */
const envelopeUpdate = z.strictObject(flexibilityFields).superRefine((e, ctx) => checkEnvelope(e, ctx, []));

/**
 * What the zone's EVs will do, in figures (SPEC §8 step 3): the reply's pKw is the sum of per-EV
 * schedules the zone checked feasible; these count them and say how far they are from the aggregate
 * the zone's policy solved (battery-side kWh). Per-EV schedules stay in the zone.
 */
const deliveryBody = z.strictObject({
  evs: z.int().min(0),
  evsScheduled: z.int().min(0),
  evsFeasible: z.int().min(0),
  evsLeftOut: z.int().min(0),
  overKwh: nonNegative,
  shortfallKwh: nonNegative,
});

const byTouClass = z.strictObject({ p: z.number(), o: z.number(), v: z.number() });

/** elasticity-pricing's books (seed 001 §2.7–2.8): users per type, class price changes, energy per class. */
const pricingBody = z.strictObject({
  usersByType: z.strictObject({ 1: z.int().min(0), 2: z.int().min(0), 3: z.int().min(0), 4: z.int().min(0) }),
  v2gDirect: z.int().min(0),
  priceChangePct: byTouClass,
  classEnergyKwh: z.strictObject({ before: byTouClass, after: byTouClass }),
});

/** A schedule is usable only with these statuses; the others may carry empty series and a null cost. */
export const SCHEDULE_STATUSES = ['optimal', 'feasible'] as const;

/** Zone → DSO (SPEC §8 step 3): the zone's schedule, its tie-line flows and any tightened envelope. */
export const solveReplyBody = z
  .strictObject({
    zoneId: token,
    round,
    status: z.enum(['optimal', 'feasible', 'infeasible', 'failed']),
    /** Why, when not optimal: names the violated constraint or the failure (SPEC §9). */
    detail: z.string().optional(),
    pKw: series,
    qKvar: series,
    costYuan: z.number().nullable(),
    /** The EV degradation part of costYuan (SPEC §8 counts it in the total cost). */
    degradationYuan: z.number().optional(),
    tieLineFlows: z.array(tieLineFlow),
    envelope: envelopeUpdate.optional(),
    delivery: deliveryBody.optional(),
    pricing: pricingBody.optional(),
    /** pKw per bus of the zone (the sum of its EVs' schedules at each bus), buses once each: where the EVs draw it. */
    busPKw: z.array(z.strictObject({ bus: z.int().min(1), pKw: series })).optional(),
  })
  .superRefine((b, ctx) => {
    checkSameLength(b, ['pKw', 'qKvar'], ctx);
    checkUnique(b.busPKw ?? [], (x) => String(x.bus), 'bus', ctx, ['busPKw']);
    const periods = b.pKw.length;
    const checkPeriods = (len: number, path: PropertyKey[]) => {
      if (len !== periods) ctx.addIssue({ code: 'custom', path, message: `has ${len} periods, but pKw has ${periods}` });
    };
    b.tieLineFlows.forEach((l, i) => {
      checkPeriods(l.pKw.length, ['tieLineFlows', i, 'pKw']);
      checkPeriods(l.qKvar.length, ['tieLineFlows', i, 'qKvar']);
    });
    for (const key of ENVELOPE_SERIES) if (b.envelope) checkPeriods(b.envelope[key].length, ['envelope', key]);
    b.busPKw?.forEach((x, i) => checkPeriods(x.pKw.length, ['busPKw', i, 'pKw']));
    checkUnique(b.tieLineFlows, lineName, 'tie line', ctx, ['tieLineFlows']);
    if ((SCHEDULE_STATUSES as readonly string[]).includes(b.status)) {
      if (periods === 0) ctx.addIssue({ code: 'custom', path: ['pKw'], message: `is empty, but status is ${b.status}` });
      if (b.costYuan === null) ctx.addIssue({ code: 'custom', path: ['costYuan'], message: `is null, but status is ${b.status}` });
    }
  });

const zoneRoundOutcome = z.strictObject({
  zoneId: token,
  status: z.enum(['replied', 'timeout', 'error']),
  costYuan: z.number().nullable(),
  /** The zone's net schedule this round (empty when it did not reply). */
  pKw: series,
  detail: z.string().optional(),
});

/** One coordination round as kept on JetStream (SPEC §8 step 5). */
export const roundRecordBody = z
  .strictObject({
    round,
    method: token,
    rho: nonNegative,
    primalResidualKw: nonNegative,
    dualResidualKw: nonNegative,
    totalCostYuan: z.number(),
    /** |cost - previous cost| / |previous cost|; null in the first round. */
    relCostChange: nonNegative.nullable(),
    converged: z.boolean(),
    zones: z.array(zoneRoundOutcome),
    /** The centralised optimum's cost, when the DSO has solved it, so a watcher can show the gap. */
    centralisedCostYuan: z.number().optional(),
    /**
     * The recording DSO's instance: a nonce its recorder chose when it opened (recorder.ts), also in the
     * JetStream message id. A run's records from more than one instance are a restarted or second DSO, or
     * a forgery. Optional, so records stored before it existed still decode (no protocol version bump:
     * no zone reads it, and a bump would part old zones from a new DSO).
     */
    instance: token.optional(),
  })
  .superRefine((b, ctx) => {
    checkUnique(b.zones, (zone) => zone.zoneId, 'zone', ctx, ['zones']);
    const lengths = b.zones.map((zone) => zone.pKw.length).filter((n) => n > 0);
    const i = b.zones.findIndex((zone) => zone.pKw.length > 0 && zone.pKw.length !== lengths[0]);
    if (i >= 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['zones', i, 'pKw'],
        message: `has ${b.zones[i].pKw.length} periods, but another zone has ${lengths[0]}`,
      });
    }
  });

export const controlBody = z.strictObject({
  command: z.enum(['start', 'stop', 'shutdown']),
  reason: z.string().optional(),
});

export const statusBody = z.strictObject({
  state: z.enum(['waiting', 'running', 'converged', 'roundLimit', 'stopped', 'failed']),
  round: round.nullable(),
  zonesKnown: z.array(token),
  detail: z.string().optional(),
});

export const ERROR_CODES = ['malformed', 'version', 'run', 'refused', 'internal'] as const;

/** The answer to a request that could not be served; `where` names the offending field. */
export const errorBody = z.strictObject({
  code: z.enum(ERROR_CODES),
  message: z.string(),
  where: z.string().optional(),
  /** What the refused message said about itself, as far as it could be read. */
  inReplyTo: z
    .strictObject({ type: z.string().optional(), seq: z.number().optional(), sender: z.string().optional() })
    .optional(),
});

/** Per bus of a zone: its EVs' grid-side power, kW per period (a bus total, never an EV). */
const busPower = z.strictObject({ bus: busId, pKw: series });

/**
 * What a rolling window's DSO asks of a zone (issue 12 item 5, README "Rolling horizon"): `open` —
 * build your window from boundary `startPeriod` (at 0, `dayAheadRound` names the round whose answer
 * of yours the day-ahead agreement holds: your plan until the first window); `commit` — the window's
 * `periods` periods happen under `plan` (the answer of yours the DSO accepted at `round`, the
 * standing plan when the window was not negotiated, or your own when you gave no acceptable answer);
 * `finish` — the day is over: report it.
 */
export const windowRequestBody = z
  .strictObject({
    zoneId: token,
    action: z.enum(['open', 'commit', 'finish']),
    startPeriod: z.int().min(0),
    periods: z.int().min(1),
    dayAheadRound: z.int().min(1).optional(),
    plan: z.discriminatedUnion('kind', [
      z.strictObject({ kind: z.literal('agreed'), round: z.int().min(1) }),
      z.strictObject({ kind: z.literal('standing') }),
      z.strictObject({ kind: z.literal('own') }),
    ]).optional(),
  })
  .superRefine((b, ctx) => {
    if ((b.action === 'commit') !== (b.plan !== undefined)) ctx.addIssue({ code: 'custom', path: ['plan'], message: b.action === 'commit' ? 'a commit names its plan' : `${b.action} carries no plan` });
    if (b.dayAheadRound !== undefined && !(b.action === 'open' && b.startPeriod === 0)) ctx.addIssue({ code: 'custom', path: ['dayAheadRound'], message: 'only the first window\'s open names the day-ahead round' });
  });

/**
 * A zone's answer to a window request: to `open`, its window announce (its realised EVs present and
 * forecast of the rest, as envelope groups; its base net load with its EVs' metered past), its EVs'
 * metered power per bus before the window, whether the window is what its standing plan expected,
 * and counts; to `commit`, the degradation its EVs' discharge has cost so far; to `finish`, its
 * realised day: EV power per bus, degradation, EV counts and the shortfalls in sum (by EV they stay
 * in the zone's own output).
 */
export const windowReplyBody = z.strictObject({
  zoneId: token,
  action: z.enum(['open', 'commit', 'finish']),
  startPeriod: z.int().min(0),
  window: z.strictObject({
    announce: announceBody,
    pastBusPKw: z.array(busPower),
    onPlan: z.boolean(),
    realisedEvs: z.int().min(0),
    forecastEvs: z.int().min(0),
    cappedKwh: nonNegative,
  }).optional(),
  degradationYuan: nonNegative.optional(),
  day: z.strictObject({
    busPKw: z.array(busPower),
    degradationYuan: nonNegative,
    evs: z.int().min(0),
    leftEarly: z.int().min(0),
    leftOut: z.int().min(0),
    shortfallEvs: z.int().min(0),
    shortfallKwh: nonNegative,
  }).optional(),
}).superRefine((b, ctx) => {
  const want = b.action === 'open' ? 'window' : b.action === 'commit' ? 'degradationYuan' : 'day';
  if (b[want] === undefined) ctx.addIssue({ code: 'custom', path: [want], message: `a reply to ${b.action} carries ${want}` });
});

/**
 * The network-split method (issue 11 item 4; libs/network-split): a zone agent that owns its part
 * of the feeder answers the DSO's coordinator as an *area*. Only the boundary crosses: each cut
 * line's P, Q and squared voltages per period (and each area's carbon excess), in the area's own
 * copy order, and the AC sweep's cut-line flows and voltages for the loss correction.
 */
const areaId = z.int();
const flags = z.array(z.union([z.literal(0), z.literal(1)]));
const lineFlow = z.strictObject({ pKw: series, qKvar: series, currentSqPu: z.array(nonNegative) });

/** The coordinator's signal for one solve (libs/network-split `AreaSignal`), one entry per boundary copy. */
const areaSignal = z
  .strictObject({
    /** 0: the opening sweep; -1: the closing sweep; else the ADMM round. */
    round: z.int().min(-1),
    rho: z.number().positive(),
    z: series,
    u: series,
    scale: z.array(z.number().positive()),
    weightH: z.array(z.number().positive()),
    term: z.enum(['consensus', 'price']),
    price: series.optional(),
    hold: flags.optional(),
    tangentScaleKw: z.number().positive().optional(),
  })
  .superRefine((s, ctx) => {
    checkSameLength(s, ['z', 'u', 'scale', 'weightH', 'price', 'hold'], ctx);
    if (s.term === 'price' && !s.price) ctx.addIssue({ code: 'custom', path: ['price'], message: 'a price signal prices every copy' });
  });

/** DSO → area: declare your boundary, solve for a signal, or sweep your part for the loss correction. */
export const areaRequestBody = z
  .strictObject({
    areaId,
    action: z.enum(['declare', 'solve', 'losses']),
    signal: areaSignal.optional(),
    /** `losses`: the boundary everyone agreed (your copies, in your copy order). */
    agreed: series.optional(),
    /** `losses`: your incoming cut line's sending voltage per period as your parent's sweep found it (null: the agreed one). */
    incomingVmPu: z.array(z.number().positive()).nullable().optional(),
    /** `losses`: per outgoing cut line, the flow and |I|² your child's sweep found. */
    outgoing: z.array(lineFlow).optional(),
  })
  .superRefine((b, ctx) => {
    const need = { declare: [] as string[], solve: ['signal'], losses: ['agreed', 'incomingVmPu', 'outgoing'] }[b.action];
    for (const k of ['signal', 'agreed', 'incomingVmPu', 'outgoing'] as const) {
      if (need.includes(k) !== (b[k] !== undefined)) ctx.addIssue({ code: 'custom', path: [k], message: need.includes(k) ? `a ${b.action} request carries ${k}` : `a ${b.action} request carries no ${k}` });
    }
  });

const areaCosts = z.strictObject({
  purchaseYuan: z.number(), dieselYuan: z.number(), curtailmentYuan: z.number(), carbonYuan: z.number(),
  demandChargeYuan: z.number(), penaltyYuan: z.number(), degradationYuan: z.number(), tieBreakYuan: z.number(),
});

/** Area → DSO: its declaration, its answer to a signal, or its sweep's result. */
export const areaReplyBody = z
  .strictObject({
    areaId,
    action: z.enum(['declare', 'solve', 'losses']),
    declaration: z.strictObject({
      isRoot: z.boolean(),
      periods: z.int().min(1),
      dtH: z.number().positive(),
      cutLines: z.array(z.strictObject({ from: busId, to: busId, ownEnd: z.enum(['from', 'to']), wScaleKwPerPu2: z.number().positive() })),
      carbon: z.enum(['owner', 'contributor']),
      carbonContributors: z.array(areaId),
    }).optional(),
    answer: z.strictObject({
      round: z.int().min(-1),
      /** Per copy: the area's value, in the copy's unit (kW, kvar, pu², t). */
      x: series,
      costYuan: z.number(),
      costs: areaCosts,
      /** Per zone of the area, its EVs' grid-side power per period (kW): a zone total, never an EV. */
      zoneEvKw: z.array(series),
      /** Per copy held: the marginal value of the held value; null where not held. */
      holdDuals: z.array(z.number().nullable()),
      solveMs: nonNegative,
      solves: z.int().min(1),
    }).optional(),
    correction: z.strictObject({
      vGapPu: nonNegative,
      incoming: lineFlow.nullable(),
      outgoingVmPu: z.array(z.array(z.number().positive())),
    }).optional(),
  })
  .superRefine((b, ctx) => {
    const want = { declare: 'declaration', solve: 'answer', losses: 'correction' } as const;
    for (const [action, key] of Object.entries(want) as Array<[keyof typeof want, (typeof want)[keyof typeof want]]>) {
      if ((b.action === action) !== (b[key] !== undefined)) ctx.addIssue({ code: 'custom', path: [key], message: b.action === action ? `a reply to ${action} carries ${key}` : `a reply to ${b.action} carries no ${key}` });
    }
    if (b.answer && b.answer.holdDuals.length !== b.answer.x.length) ctx.addIssue({ code: 'custom', path: ['answer', 'holdDuals'], message: `has ${b.answer.holdDuals.length} entries, x ${b.answer.x.length}` });
  });

export const bodySchemas = {
  announce: announceBody,
  windowRequest: windowRequestBody,
  windowReply: windowReplyBody,
  areaRequest: areaRequestBody,
  areaReply: areaReplyBody,
  solveRequest: solveRequestBody,
  solveReply: solveReplyBody,
  roundRecord: roundRecordBody,
  control: controlBody,
  status: statusBody,
  error: errorBody,
} as const;

export type MessageType = keyof typeof bodySchemas;
export const MESSAGE_TYPES = Object.keys(bodySchemas) as MessageType[];
export type BodyOf<T extends MessageType> = z.infer<(typeof bodySchemas)[T]>;
export type ErrorCode = (typeof ERROR_CODES)[number];
export type ErrorBody = BodyOf<'error'>;

export interface EnvelopeHeader {
  v: typeof PROTOCOL_VERSION;
  runId: string;
  sender: string;
  /** Per-sender counter, for ordering and for naming a refused message in an error reply. */
  seq: number;
  /** ISO 8601 time of sending (informational; never used for ordering). */
  sentAt?: string;
}

/** What a sender writes: a type and its body. The transport adds the envelope header. */
export type Draft<T extends MessageType = MessageType> = { [K in T]: { type: K; body: BodyOf<K> } }[T];
export type Message<T extends MessageType = MessageType> = { [K in T]: EnvelopeHeader & { type: K; body: BodyOf<K> } }[T];

const header = {
  v: z.literal(PROTOCOL_VERSION),
  runId: token,
  sender: z.string().min(1).max(128),
  seq: z.int().min(0),
  sentAt: z.iso.datetime().optional(),
};

function messageSchema<T extends MessageType>(type: T) {
  return z.strictObject({ ...header, type: z.literal(type), body: bodySchemas[type] });
}

export const messageSchemas = Object.fromEntries(MESSAGE_TYPES.map((t) => [t, messageSchema(t)])) as {
  [K in MessageType]: ReturnType<typeof messageSchema<K>>;
};

export function isMessageType(value: unknown): value is MessageType {
  return typeof value === 'string' && Object.hasOwn(bodySchemas, value);
}
