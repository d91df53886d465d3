import { chmodSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { InputError } from '@zonal/core';
import { DSO_FILE, loadDsoFile } from '@zonal/coordination';
import { dsoPermissions, hostPermissions, isValidToken, natsServerConfig, newPartyKey, observerPermissions, zonePermissions } from '@zonal/protocol';
import { action } from '../run';
import { summary } from './index';

/**
 * `zonal nats-config --config DIR --out AUTH [--port N]`: on the parties' files of `zonal split`, a
 * nats-server configuration with one nkey user per party and only its own rights
 * (libs/protocol server-config.ts), and each party's seed file: `dso.nk`, `zone-<id>.nk`,
 * `observer.nk`. Start the server with `nats-server -c AUTH/nats-server.conf`; give each party its
 * seed (`--nats-nkey zone-1.nk`) and nothing else. `--host name=1,2,3` (repeatable) adds a user for a
 * process hosting those zones (`zonal zone --host name …`), `host-<name>.nk`, with the union of their
 * rights; each zone keeps its own user too.
 */
export function registerNatsConfig(program: Command): void {
  program
    .command('nats-config')
    .description(summary('nats-config'))
    .requiredOption('--config <dir>', 'the parties\' files (zonal split --out DIR): the zone list comes from its dso.json')
    .requiredOption('--out <dir>', 'where nats-server.conf and the seed files go (created; keep it private)')
    .option('--port <n>', 'the port the server listens on', '4222')
    .option('--host <name=ids>', 'also a user for a process hosting several zones (zonal zone --host NAME): host-NAME.nk with the union of zones IDS\' rights, e.g. --host a=1,2,3; repeatable', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .action(action(async (o: { config: string; out: string; port: string; host: string[] }) => {
      const dso = loadDsoFile(join(resolve(o.config), DSO_FILE));
      const port = Number(o.port);
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InputError(`must be a port number (1-65535), got "${o.port}"`, '--port');
      const hosts = o.host.map((h) => parseHost(h, dso.zones.map((z) => z.id)));
      if (new Set(hosts.map((h) => h.name)).size < hosts.length) throw new InputError('names a host twice', '--host');
      const out = resolve(o.out);
      if (existsSync(out) && !statSync(out).isDirectory()) throw new InputError('is a file, not a directory', '--out');
      mkdirSync(out, { recursive: true, mode: 0o700 });
      const users = [
        { key: newPartyKey('dso'), permissions: dsoPermissions() },
        ...dso.zones.map((z) => ({ key: newPartyKey(`zone-${z.id}`), permissions: zonePermissions(z.id) })),
        ...hosts.map((h) => ({ key: newPartyKey(`host-${h.name}`), permissions: hostPermissions(h.name, h.zones) })),
        { key: newPartyKey('observer'), permissions: observerPermissions() },
      ];
      const conf = join(out, 'nats-server.conf');
      writeFileSync(conf, natsServerConfig(users, { port, storeDir: join(out, 'jetstream') }));
      for (const { key } of users) {
        const file = join(out, `${key.party}.nk`);
        writeFileSync(file, `${key.seed}\n`, { mode: 0o600 });
        chmodSync(file, 0o600);
        console.log(`${file}  (${key.party}, public key ${key.publicKey})`);
      }
      console.log(conf);
      process.stderr.write(`start the server: nats-server -c ${conf}; run each party with its own seed, e.g. zonal zone --config zone-1.json --nats-nkey ${join(out, 'zone-1.nk')}\n`);
      return 0;
    }));
}

/** `--host name=1,2,3`: a host's name (a subject token) and its zones, each in the DSO's zone list. */
function parseHost(value: string, known: readonly number[]): { name: string; zones: number[] } {
  const m = /^([^=]+)=(.+)$/.exec(value);
  if (!m || !isValidToken(m[1])) throw new InputError(`must be NAME=ID,ID,… with NAME of letters, digits, "_" or "-", got "${value}"`, '--host');
  const zones = m[2].split(',').map((s) => s.trim());
  for (const z of zones) {
    if (!known.includes(Number(z)) || !/^\d+$/.test(z)) throw new InputError(`host ${m[1]}: "${z}" is not a zone of the DSO file (zones ${known.join(', ')})`, '--host');
  }
  return { name: m[1], zones: [...new Set(zones.map(Number))] };
}
