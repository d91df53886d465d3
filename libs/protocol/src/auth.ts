/**
 * How an agent proves who it is to NATS: the server's own mechanisms, nothing of ours. One of a
 * credentials file (JWT + nkey seed, `nsc`'s `.creds`), an nkey seed file, a user and password, or a
 * token; and TLS (a CA to trust, a client certificate and key) with any of them. Secrets are read
 * from files or the environment and never logged: `describeAuth` names the mechanism only.
 */
import { readFileSync } from 'node:fs';
import { InputError } from '@zonal/core';
import { credsAuthenticator, nkeyAuthenticator, type ConnectionOptions } from '@nats-io/transport-node';

export interface NatsAuth {
  /** A `.creds` file: the user's JWT and nkey seed (decentralised auth). */
  credsFile?: string;
  /** A file holding an nkey user seed (`SU…`), as `zonal nats-config` writes them. */
  nkeySeedFile?: string;
  user?: string;
  password?: string;
  token?: string;
  tlsCaFile?: string;
  tlsCertFile?: string;
  tlsKeyFile?: string;
}

/** The environment variables that carry the same, for processes started by others (`zonal sim`). */
export const NATS_AUTH_ENV = {
  credsFile: 'ZONAL_NATS_CREDS',
  nkeySeedFile: 'ZONAL_NATS_NKEY',
  user: 'ZONAL_NATS_USER',
  password: 'ZONAL_NATS_PASSWORD',
  token: 'ZONAL_NATS_TOKEN',
  tlsCaFile: 'ZONAL_NATS_TLS_CA',
  tlsCertFile: 'ZONAL_NATS_TLS_CERT',
  tlsKeyFile: 'ZONAL_NATS_TLS_KEY',
} as const satisfies Record<keyof NatsAuth, string>;

/** The command-line flag of each field, for error messages. */
const FLAG: Record<keyof NatsAuth, string> = {
  credsFile: '--nats-creds', nkeySeedFile: '--nats-nkey', user: '--nats-user', password: '--nats-password',
  token: '--nats-token', tlsCaFile: '--nats-tls-ca', tlsCertFile: '--nats-tls-cert', tlsKeyFile: '--nats-tls-key',
};

/** Flags first, then `ZONAL_NATS_*` variables, field by field. */
export function natsAuthFrom(flags: NatsAuth, env: NodeJS.ProcessEnv = process.env): NatsAuth {
  const out: NatsAuth = {};
  for (const key of Object.keys(NATS_AUTH_ENV) as Array<keyof NatsAuth>) {
    const value = flags[key] ?? env[NATS_AUTH_ENV[key]];
    if (value !== undefined && value !== '') out[key] = value;
  }
  checkAuth(out);
  return out;
}

/** The same credentials as environment variables, for a child process. */
export function natsAuthEnv(auth: NatsAuth): Record<string, string> {
  return Object.fromEntries((Object.keys(auth) as Array<keyof NatsAuth>).filter((k) => auth[k] !== undefined).map((k) => [NATS_AUTH_ENV[k], auth[k]!]));
}

/** One mechanism at a time, and whole: a user needs a password, a client certificate its key. */
function checkAuth(a: NatsAuth): void {
  const mechanisms = (['credsFile', 'nkeySeedFile', 'user', 'token'] as const).filter((k) => a[k] !== undefined);
  if (mechanisms.length > 1) throw new InputError(`give one way to authenticate, not ${mechanisms.map((k) => FLAG[k]).join(' and ')}`, FLAG[mechanisms[1]]);
  if ((a.user === undefined) !== (a.password === undefined)) throw new InputError('a user needs a password and a password a user', a.user === undefined ? FLAG.user : FLAG.password);
  if ((a.tlsCertFile === undefined) !== (a.tlsKeyFile === undefined)) throw new InputError('a client certificate needs its key and a key its certificate', a.tlsCertFile === undefined ? FLAG.tlsCertFile : FLAG.tlsKeyFile);
}

/** Connection options for nats.js; files are read here, so a missing one is named before connecting. */
export function natsAuthOptions(a: NatsAuth = {}): Partial<ConnectionOptions> {
  const read = (key: 'credsFile' | 'nkeySeedFile'): Uint8Array => {
    try {
      return readFileSync(a[key]!);
    } catch (e) {
      throw new InputError(`cannot read ${a[key]}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, FLAG[key]);
    }
  };
  const opts: Partial<ConnectionOptions> = {};
  if (a.credsFile) opts.authenticator = credsAuthenticator(read('credsFile'));
  if (a.nkeySeedFile) opts.authenticator = nkeyAuthenticator(new TextEncoder().encode(new TextDecoder().decode(read('nkeySeedFile')).trim()));
  if (a.user !== undefined) { opts.user = a.user; opts.pass = a.password; }
  if (a.token !== undefined) opts.token = a.token;
  if (a.tlsCaFile || a.tlsCertFile) {
    opts.tls = { ...(a.tlsCaFile ? { caFile: a.tlsCaFile } : {}), ...(a.tlsCertFile ? { certFile: a.tlsCertFile, keyFile: a.tlsKeyFile } : {}) };
  }
  return opts;
}

/** What a log may say of the credentials: the mechanism, never a secret. */
export function describeAuth(a: NatsAuth = {}): string {
  const how = a.credsFile ? 'a credentials file' : a.nkeySeedFile ? 'an nkey' : a.user !== undefined ? `user "${a.user}"` : a.token !== undefined ? 'a token' : 'no credentials';
  return a.tlsCaFile || a.tlsCertFile ? `${how}, over TLS` : how;
}

/** The command-line flags of every command that connects (commander option names in `option`). */
export const NATS_AUTH_FLAGS: ReadonlyArray<{ key: keyof NatsAuth; flag: string; option: string; description: string }> = [
  { key: 'credsFile', flag: '--nats-creds <file>', option: 'natsCreds', description: 'NATS credentials file (user JWT and nkey seed); env ZONAL_NATS_CREDS' },
  { key: 'nkeySeedFile', flag: '--nats-nkey <file>', option: 'natsNkey', description: 'file holding an nkey user seed (zonal nats-config writes them); env ZONAL_NATS_NKEY' },
  { key: 'user', flag: '--nats-user <user>', option: 'natsUser', description: 'NATS user (with --nats-password); env ZONAL_NATS_USER' },
  { key: 'password', flag: '--nats-password <password>', option: 'natsPassword', description: 'NATS password; env ZONAL_NATS_PASSWORD (better: a flag shows in the process list)' },
  { key: 'token', flag: '--nats-token <token>', option: 'natsToken', description: 'NATS token; env ZONAL_NATS_TOKEN (better: a flag shows in the process list)' },
  { key: 'tlsCaFile', flag: '--nats-tls-ca <file>', option: 'natsTlsCa', description: 'CA certificate to trust for the server (TLS); env ZONAL_NATS_TLS_CA' },
  { key: 'tlsCertFile', flag: '--nats-tls-cert <file>', option: 'natsTlsCert', description: 'client certificate (TLS, with --nats-tls-key); env ZONAL_NATS_TLS_CERT' },
  { key: 'tlsKeyFile', flag: '--nats-tls-key <file>', option: 'natsTlsKey', description: 'client key (TLS); env ZONAL_NATS_TLS_KEY' },
];

/** Credentials from parsed command-line options (NATS_AUTH_FLAGS), then the environment. */
export function natsAuthFromOptions(options: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): NatsAuth {
  const flags: NatsAuth = {};
  for (const f of NATS_AUTH_FLAGS) if (typeof options[f.option] === 'string') flags[f.key] = options[f.option] as string;
  return natsAuthFrom(flags, env);
}
