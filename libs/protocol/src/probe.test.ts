import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findNatsServer, natsAvailable, startLocalNatsServer } from './probe';
import { startNatsServer } from './testing/natsServer';

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const scratch = mkdtempSync(join(tmpdir(), 'zonal-probe-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('natsAvailable', () => {
  it('is true for a running server and false once it is stopped', async () => {
    const server = await startNatsServer({ jetstream: false });
    expect(await natsAvailable(server.url, 1000)).toBe(true);
    await server.stop();
    expect(await natsAvailable(server.url, 1000)).toBe(false);
  });

  it('is false (at the deadline, not hanging) for a port that accepts but never speaks NATS', async () => {
    const silent: Server = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    try {
      expect(await natsAvailable(`nats://127.0.0.1:${port}`, 200)).toBe(false);
    } finally {
      silent.close();
    }
  });

  it('is false for an address that is not a URL', async () => {
    expect(await natsAvailable('not a url:::', 200)).toBe(false);
  });
});

describe('startLocalNatsServer', () => {
  it('finds the installed nats-server', () => {
    expect(findNatsServer()).toMatch(/nats-server$/);
  });

  it('starts a JetStream server on a loopback port, and stop() kills that PID and deletes its store', async () => {
    const started = await startLocalNatsServer();
    expect(started.installed).toBe(true);
    if (!started.installed) return;
    const { server } = started;
    expect(server.url).toMatch(/^nats:\/\/127\.0\.0\.1:\d+$/);
    expect(isRunning(server.pid)).toBe(true);
    expect(existsSync(server.storeDir!)).toBe(true);
    await server.stop();
    expect(isRunning(server.pid)).toBe(false);
    expect(existsSync(server.storeDir!)).toBe(false);
    await server.stop();
  });

  it('reports a missing binary as not installed instead of throwing', async () => {
    const missing = join(scratch, 'no-such-nats-server');
    expect(await startLocalNatsServer({ binary: missing })).toEqual({
      installed: false,
      reason: `${missing} is not an executable file`,
    });
  });

  it('rejects with the log when the server exits during start-up, or is never ready', async () => {
    const script = (name: string, body: string) => {
      const path = join(scratch, name);
      writeFileSync(path, `#!/bin/sh\n${body}\n`);
      chmodSync(path, 0o755);
      return path;
    };
    await expect(startLocalNatsServer({ binary: script('dies', 'echo "bad flag" >&2; exit 1') })).rejects.toThrow(
      /exited during start-up:\nbad flag/,
    );
    await expect(startLocalNatsServer({ binary: script('mute', 'exec sleep 30'), readyTimeoutMs: 200 })).rejects.toThrow(
      /not ready within 200 ms/,
    );
  });
});
