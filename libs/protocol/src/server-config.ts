/**
 * A nats-server configuration that lets only the parties of a deployment speak, each only for
 * itself (`zonal nats-config`): one nkey user per party, with permissions cut from the subjects of
 * subjects.ts for any run id.
 *
 *  - zone k: publishes only its own announce (`zonal.*.zone.k.announce`) and replies to requests it
 *    received (`allow_responses`: its answers to its own solve requests); subscribes only to its own
 *    solve and window (a rolling run) subjects, the run's control and DSO status subjects, and its own reply inbox.
 *  - the DSO: the coordinator's rights — every subject of every run, JetStream's API (the round
 *    record), its own inbox — and replies to the announces it serves.
 *  - a host of several zones (`--host name=1,2,3`): the union of its zones' rights, with its own
 *    reply inbox (`_INBOX_host-<name>`) instead of theirs.
 *  - the observer: reads every subject of every run and the round record; publishes nothing but the
 *    read-only JetStream requests that reading the record takes.
 */
import { DSO_STATE_BUCKET } from './dso-state';
import { createUser } from '@nats-io/nkeys';
import { ROUNDS_STREAM } from './recorder';

/** One party's identity: its name (inbox `_INBOX_<name>`), nkey public key and seed. */
export interface PartyKey { party: string; publicKey: string; seed: string }

export interface Permissions { publish: string[]; subscribe: string[]; allowResponses: boolean }

const RUNS = 'zonal.*';
const inbox = (name: string) => `_INBOX_${name}.>`;

/** What zone `zoneId`'s user may do (its connection is named `zone<id>`, as the zone agent's is). */
export function zonePermissions(zoneId: number): Permissions {
  return {
    publish: [`${RUNS}.zone.${zoneId}.announce`],
    subscribe: [`${RUNS}.zone.${zoneId}.solve`, `${RUNS}.zone.${zoneId}.window`, `${RUNS}.zone.${zoneId}.area`, `${RUNS}.control`, `${RUNS}.dso.status`, inbox(`zone${zoneId}`)],
    allowResponses: true,
  };
}

/**
 * What a process hosting several zones may do (`zonal zone --host <name>`, connection `host-<name>`):
 * the union of its zones' rights, with its own reply inbox in place of theirs — the host's zones
 * share its one connection, and so its inbox.
 */
export function hostPermissions(name: string, zoneIds: readonly number[]): Permissions {
  const zones = zoneIds.map(zonePermissions);
  const zoneInboxes = new Set(zoneIds.map((id) => inbox(`zone${id}`)));
  const union = (pick: (p: Permissions) => string[]) => [...new Set(zones.flatMap(pick))];
  return {
    publish: union((p) => p.publish),
    subscribe: [...union((p) => p.subscribe).filter((s) => !zoneInboxes.has(s)), inbox(`host-${name}`)],
    allowResponses: true,
  };
}

export function dsoPermissions(): Permissions {
  // $KV.ZONAL_DSO_STATE: its negotiation state (dso-state.ts); $JS.FC: flow control of the reads that list it.
  return { publish: ['zonal.>', '$JS.API.>', `$KV.${DSO_STATE_BUCKET}.>`, '$JS.FC.>'], subscribe: ['zonal.>', inbox('dso')], allowResponses: true };
}

/** Read-only: live messages, and the JetStream requests that read the round record (no create, no delete). */
export function observerPermissions(): Permissions {
  return {
    publish: [
      '$JS.API.INFO', `$JS.API.STREAM.INFO.${ROUNDS_STREAM}`, `$JS.API.STREAM.MSG.GET.${ROUNDS_STREAM}`, `$JS.API.DIRECT.GET.${ROUNDS_STREAM}.>`,
      `$JS.API.CONSUMER.CREATE.${ROUNDS_STREAM}`, `$JS.API.CONSUMER.CREATE.${ROUNDS_STREAM}.>`, `$JS.API.CONSUMER.MSG.NEXT.${ROUNDS_STREAM}.>`,
      `$JS.API.CONSUMER.INFO.${ROUNDS_STREAM}.>`, `$JS.API.CONSUMER.DELETE.${ROUNDS_STREAM}.>`, '$JS.ACK.>',
    ],
    subscribe: ['zonal.>', inbox('observer')],
    allowResponses: false,
  };
}

/** A fresh nkey user for a party. */
export function newPartyKey(party: string): PartyKey {
  const kp = createUser();
  return { party, publicKey: kp.getPublicKey(), seed: new TextDecoder().decode(kp.getSeed()) };
}

/**
 * The server configuration: JetStream on, one `authorization` block of nkey users. A client with
 * no key (or another key) is refused at connect; a user that publishes or subscribes outside its
 * permissions gets a permissions violation and its message goes nowhere.
 */
export function natsServerConfig(users: ReadonlyArray<{ key: PartyKey; permissions: Permissions }>, opts: { port?: number; storeDir?: string } = {}): string {
  const list = (xs: string[]) => `[${xs.map((x) => JSON.stringify(x)).join(', ')}]`;
  const user = ({ key, permissions: p }: { key: PartyKey; permissions: Permissions }) => [
    `    # ${key.party}`,
    `    { nkey: ${key.publicKey}`,
    `      permissions: {`,
    `        publish: { allow: ${list(p.publish)} }`,
    `        subscribe: { allow: ${list(p.subscribe)} }`,
    ...(p.allowResponses ? ['        allow_responses: true'] : []),
    `      } }`,
  ].join('\n');
  return [
    '# Written by `zonal nats-config`: one nkey user per party of the deployment, each with only its own rights.',
    '# Give each party its seed file (dso.nk, zone-<id>.nk, host-<name>.nk, observer.nk) and nothing else; the seeds are secrets.',
    `port: ${opts.port ?? 4222}`,
    `jetstream: { store_dir: ${JSON.stringify(opts.storeDir ?? './jetstream')} }`,
    'authorization: {',
    '  users: [',
    users.map(user).join('\n'),
    '  ]',
    '}',
    '',
  ].join('\n');
}
