import { benchPowerFlow } from '@zonal/feeder';
import { benchDispatch } from '@zonal/dispatch';
import { shutdownSolver } from '@zonal/solver';

export interface BenchSuite {
  name: string;
  description: string;
  run(): Promise<Array<Record<string, unknown>>> | Array<Record<string, unknown>>;
}

/** Every benchmark, in the order `npm run bench` prints them. */
export const benchSuites: BenchSuite[] = [
  {
    name: 'powerflow',
    description: 'backward/forward sweep per solve (goals: IEEE-33 well under 0.1 ms, 5 000 buses under 10 ms)',
    run: () => benchPowerFlow() as unknown as Array<Record<string, unknown>>,
  },
  {
    name: 'dispatch',
    description: 'DSO low-carbon dispatch build and solve (goal: the 24-period dispatch under 1 s)',
    run: async () => {
      const rows = await benchDispatch();
      await shutdownSolver();
      return rows as unknown as Array<Record<string, unknown>>;
    },
  },
];
