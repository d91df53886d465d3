/**
 * Test harness: a private `nats-server -js` on a free loopback port with a temporary store, for tests
 * that need a real server (never the shared one on 4222). Stop it in `afterAll`; it is also killed if
 * the test process exits first.
 */
import { startLocalNatsServer, type LocalNatsOptions, type LocalNatsServer } from '../probe';

export async function startNatsServer(options: Omit<LocalNatsOptions, 'binary'> = {}): Promise<LocalNatsServer> {
  const started = await startLocalNatsServer(options);
  if (!started.installed) throw new Error(`cannot run NATS tests: ${started.reason}`);
  return started.server;
}
