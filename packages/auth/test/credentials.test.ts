/** Users file and credential source selection: one file or one Redis hash for edge and core. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  loadUsersFile,
  openCredentialSource,
  RedisCredentials,
  StaticCredentials,
} from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'strata-auth-'));

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('loadUsersFile', () => {
  it('reads passwords and precomputed HA1 from YAML or JSON', () => {
    const yaml = file(
      'users.yaml',
      'users:\n  alice: { password: wonderland }\n  "1001":\n    ha1: { MD5: ABCDEF, SHA-256: "0123" }\n',
    );
    const users = loadUsersFile(yaml);
    expect(users.get('alice')).toEqual({ password: 'wonderland' });
    expect(users.get('1001')).toEqual({ ha1: { MD5: 'abcdef', 'SHA-256': '0123' } });
    const json = file('users.json', JSON.stringify({ users: { bob: { password: 'builder' } } }));
    expect([...loadUsersFile(json).keys()]).toEqual(['bob']);
    expect(loadUsersFile(file('empty.yaml', '')).size).toBe(0);
  });

  it('refuses, at load, a user without a password or HA1', () => {
    expect(() => loadUsersFile(file('bad.yaml', 'users:\n  carol: { pasword: typo }\n'))).toThrow(
      /carol/,
    );
    expect(() => loadUsersFile(file('bad2.yaml', 'users: 7\n'))).toThrow(/users/);
  });
});

describe('openCredentialSource', () => {
  it('uses the users file, or the Redis hash when both are named', async () => {
    const users = file('u.yaml', 'users:\n  alice: { password: wonderland }\n');
    const fromFile = openCredentialSource({ usersFile: users });
    expect(fromFile.source).toBeInstanceOf(StaticCredentials);
    expect(await fromFile.source.lookup('alice', 'strata')).toEqual({ password: 'wonderland' });
    expect(await fromFile.source.lookup('mallory', 'strata')).toBeUndefined();
    const none = openCredentialSource({});
    expect(await none.source.lookup('alice', 'strata')).toBeUndefined();
    // nothing listens on port 1: the client is created lazily failing, never throwing here
    const fromRedis = openCredentialSource({
      usersFile: users,
      redis: { host: '127.0.0.1', port: 1, keyPrefix: 'strata' },
    });
    expect(fromRedis.source).toBeInstanceOf(RedisCredentials);
    await expect(fromRedis.source.lookup('alice', 'strata')).rejects.toThrow();
    fromRedis.close();
  });
});
