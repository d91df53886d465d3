import { availableParallelism } from 'node:os';
import { benchNegotiation, benchSyntheticNegotiation } from '@zonal/agents';
import { benchDispatch } from '@zonal/dispatch';
import { benchEv } from '@zonal/ev';
import { benchPowerFlow } from '@zonal/feeder';
import { benchPartition } from '@zonal/partition';
import { benchFleetScale, benchFleetScheduling } from '@zonal/policies';
import { benchModelBuild, benchSolverWorker, configureSolver, shutdownSolver } from '@zonal/solver';
import { benchClearing } from './clearing';
import { benchMainJob, MAIN_JOB_GOAL_S } from './main-job';
import { benchRolling, ROLLING_GOAL_S } from './rolling';
import { benchCitySplit, benchNetworkSplit } from './network-split';
import { benchScale, SCALE_GOAL_GB, SCALE_GOAL_S } from './scale';
import { benchStartup, STARTUP_GOAL_X_NODE } from './startup';

export interface BenchSuite {
  name: string;
  description: string;
  run(): Promise<Array<object>> | Array<object>;
}

/** Every benchmark, in the order `npm run bench` prints them. */
export const benchSuites: BenchSuite[] = [
  {
    name: 'startup',
    description: `a zonal process from spawn to exit, median of 7 interleaved runs, against node -e 0 (goal: zonal --help under ${STARTUP_GOAL_X_NODE}x node -e 0, no TypeScript transpiled at start)`,
    run: () => benchStartup(),
  },
  {
    name: 'main-job',
    description: `npx zonal sim on the default scenario, spawn to exit, in process and over NATS, with where the time goes (goals: over NATS under ${MAIN_JOB_GOAL_S.nats} s, in process under ${MAIN_JOB_GOAL_S.inProcess} s)`,
    run: () => benchMainJob(),
  },
  { name: 'rolling', description: `the default scenario's rolling day (24 one-period windows after the day-ahead), in process and over NATS (DSO and zones each on its own connection to a private nats-server): wall time, rounds and seconds per window (goal: the rolling day over NATS under ${ROLLING_GOAL_S} s)`, run: () => benchRolling() },
  {
    name: 'powerflow',
    description: 'backward/forward sweep per solve (goals: IEEE-33 well under 0.1 ms, 5 000 buses under 10 ms)',
    run: () => benchPowerFlow(),
  },
  {
    name: 'solver',
    description: 'model build (linear in size) and HiGHS solve of a per-EV charging LP; worker start and reuse',
    run: async () => [...(await benchModelBuild()), ...(await benchSolverWorker())],
  },
  {
    name: 'dispatch',
    description: 'DSO low-carbon dispatch as `zonal dispatch` runs it (EVs uncoordinated), every limit row built (full) against rows generated where the flows come near them (lazy, the default); rows of the LP solved and of the full model (goals: IEEE-33 24-period under 1 s, 5 000 buses × 24 periods in seconds)',
    run: () => benchDispatch(),
  },
  {
    name: 'network-split',
    description: 'the feeder split into areas that each solve their part (issue 11 item 4), default scenario: ADMM rounds, gap to the same LP solved whole and to the whole successive-LP dispatch, time; PowerModelsADA\'s published DC-OPF rounds beside (goal: within 0.1%)',
    run: () => benchNetworkSplit(),
  },
  {
    name: 'network-split-city',
    description: 'the city network (10 synthetic feeders × 1 000 buses, 100 zones, 10 000 EVs) split with each zone an area, in process: rounds, time, the largest area LP, peak memory — a network whose one LP does not fit HiGHS\'s 2 GiB, dispatched with no LP holding all of it',
    run: () => benchCitySplit(),
  },
  {
    name: 'ev',
    description: 'fleet sampling, aggregate envelope, disaggregation and feasibility check (goal: 100 000 EVs under 5 s)',
    run: () => benchEv(),
  },
  {
    name: 'partition',
    description: 'electrical distance + seeded Louvain over 50 candidates + composite index',
    run: () => benchPartition(),
  },
  {
    name: 'negotiation',
    description: 'DSO + zone agents on the in-process transport (goals: default scenario under 5 s, gap to centralised <= 0.5%)',
    run: async () => {
      const rows = await benchNegotiation();
      await shutdownSolver();
      return rows;
    },
  },
  {
    name: 'fleet-scheduling',
    description: 'one zone, direct-control: (a) per-EV LP (ipm), (b) per-EV MILP, (c) envelope LP + disaggregation; objectives recomputed from the per-EV schedules, gaps to (a) (goal: 100 000 EVs under 5 s, every EV feasible, gap under 0.1%)',
    run: () => benchFleetScheduling(),
  },
  {
    name: 'fleet-scale',
    description: 'one zone of 100 000 and 1 000 000 EVs, direct-control step by step (envelope, window-energy groups, LP build and solve, disaggregation, feasibility check, the answer\'s sums), median of 3 runs; memory; µs per EV against 100 000 (goal: 1 000 000 EVs under 5 s, linear in the EV count)',
    run: async () => {
      const rows = await benchFleetScale();
      await shutdownSolver();
      return rows;
    },
  },
  {
    name: 'negotiation-1000',
    description: 'the negotiation on a synthetic 1 000-bus feeder at the default EV penetration, 20 subtree zones, 100 000 EVs (≈ 2 min on 2 quiet cores: a cold DSO LP is ≈ 150 000 dual simplex iterations over the zones\' envelope groups; the oracle\'s iterations per solve in centralisedLpIterations)',
    run: async () => {
      // Its cold LPs can pass the solver's default 300 s on a busy machine: the bench measures, it does not give up.
      // A solver thread per core, two at most, as `zonal sim` runs its parties in process (with one, the
      // 20 zones' solves queued behind each other: 82 s against 74 s for the same rounds).
      configureSolver({ defaultTimeLimitS: 3600, workers: Math.min(2, availableParallelism()) });
      const rows = await benchSyntheticNegotiation();
      await shutdownSolver();
      return rows;
    },
  },
  {
    name: 'clearing',
    description: 'the DSO\'s clearing of the bids on the synthetic 1 000-bus, 20-zone feeder with 20 000 EVs: one LP holding every envelope group against column generation (negotiation.admm.clearing: columns), and the pricing step alone (≈ 2 min)',
    run: () => benchClearing(),
  },
  {
    name: 'scale-100-zones',
    description: `a city's network end to end over NATS: 10 synthetic feeders × 1 000 buses under one substation, 100 zones, 1 000 000 EVs; a private nats-server, the DSO as one process, the zones in 4 host processes (zonal zone --config … --host); wall time, peak RSS of every process, messages and bytes per round (goal: under ${SCALE_GOAL_S} s and ${SCALE_GOAL_GB} GB in all)`,
    run: () => benchScale(),
  },
];
