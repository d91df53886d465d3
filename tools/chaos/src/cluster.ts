/**
 * A 3-server NATS cluster with JetStream on loopback, as test/integration/cluster.test.ts builds it:
 * route ports chosen first so that each server lists the others, then a probe R3 stream created (and
 * deleted) to know the JetStream meta group has a leader that knows all three.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { Ctx, freePort, NatsServer, sleep } from './harness';

const CLUSTER = 'zonal-chaos';

export async function startCluster(ctx: Ctx, size: number): Promise<NatsServer[]> {
  const routePorts = await Promise.all(Array.from({ length: size }, freePort));
  const routes = routePorts.map((p) => `nats-route://127.0.0.1:${p}`).join(', ');
  const servers = await Promise.all(routePorts.map(async (port, i) => {
    const name = `zc${i + 1}`;
    const store = join(ctx.dir, `${name}-js`);
    mkdirSync(store, { recursive: true });
    const config = join(ctx.dir, `${name}.conf`);
    writeFileSync(config, [
      `server_name: ${name}`,
      `jetstream { store_dir: "${store}" }`,
      `cluster { name: ${CLUSTER}, listen: "127.0.0.1:${port}", routes: [${routes}] }`,
    ].join('\n'));
    return ctx.nats({ name, configFile: config });
  }));
  const probe = await ctx.connect({ servers: servers.map((s) => s.url), name: 'cluster-probe' });
  const t0 = Date.now();
  for (;;) {
    try {
      const jsm = await jetstreamManager(probe);
      await jsm.streams.add({ name: 'ZONAL_CHAOS_PROBE', subjects: ['zonal-chaos-probe'], num_replicas: size });
      await jsm.streams.delete('ZONAL_CHAOS_PROBE');
      break;
    } catch (e) {
      if (Date.now() - t0 > 30_000) throw new Error(`the cluster's JetStream did not come up within 30 s: ${(e as Error).message}`);
      ctx.check();
      await sleep(250);
    }
  }
  await probe.close();
  return servers;
}
