import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUser } from '@nats-io/nkeys';
import { describe, expect, it } from 'vitest';
import { describeAuth, natsAuthEnv, natsAuthFrom, natsAuthFromOptions, natsAuthOptions } from './auth';

describe('NATS credentials', () => {
  it('take flags first, then ZONAL_NATS_* variables, and travel to a child by environment', () => {
    const env = { ZONAL_NATS_USER: 'env-user', ZONAL_NATS_PASSWORD: 'env-secret', ZONAL_NATS_TLS_CA: '/ca.pem' };
    expect(natsAuthFrom({}, env)).toEqual({ user: 'env-user', password: 'env-secret', tlsCaFile: '/ca.pem' });
    expect(natsAuthFromOptions({ natsUser: 'flag-user', natsPassword: 'flag-secret' }, env)).toEqual({ user: 'flag-user', password: 'flag-secret', tlsCaFile: '/ca.pem' });
    expect(natsAuthEnv({ token: 't0k3n' })).toEqual({ ZONAL_NATS_TOKEN: 't0k3n' });
  });

  it('refuse two mechanisms at once, a user without a password, a certificate without its key, by flag', () => {
    expect(() => natsAuthFrom({ token: 't', user: 'u', password: 'p' }, {})).toThrow(/--nats-token: give one way to authenticate/);
    expect(() => natsAuthFrom({ user: 'u' }, {})).toThrow(/--nats-password: a user needs a password/);
    expect(() => natsAuthFrom({ tlsCertFile: '/c.pem' }, {})).toThrow(/--nats-tls-key/);
    expect(() => natsAuthOptions({ nkeySeedFile: '/nonexistent/zone-1.nk' })).toThrow(/--nats-nkey: cannot read \/nonexistent\/zone-1.nk: ENOENT/);
  });

  it('read an nkey seed file into an authenticator, and never describe a secret', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zonal-auth-'));
    const seed = new TextDecoder().decode(createUser().getSeed());
    writeFileSync(join(dir, 'zone-1.nk'), `${seed}\n`);
    expect(typeof natsAuthOptions({ nkeySeedFile: join(dir, 'zone-1.nk') }).authenticator).toBe('function');
    const said = [describeAuth({ nkeySeedFile: join(dir, 'zone-1.nk') }), describeAuth({ user: 'u', password: 'hunter2' }), describeAuth({ token: 's3cr3t', tlsCaFile: '/ca' })];
    expect(said).toEqual(['an nkey', 'user "u"', 'a token, over TLS']);
    expect(said.join(' ')).not.toMatch(/hunter2|s3cr3t|SU[A-Z2-7]{10}/);
  });
});
