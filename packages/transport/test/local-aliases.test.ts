import { describe, expect, it } from 'vitest';
import { localAliases } from '../src/index.js';

describe('localAliases', () => {
  it('names the advertised sent-by, the bound address and what a hostname resolves to', async () => {
    const aliases = await localAliases([
      {
        transport: 'udp',
        address: '127.0.0.1',
        port: 5070,
        family: 4,
        advertisedHost: 'localhost',
        advertisedPort: 5070,
      },
    ]);
    const keys = aliases.map((a) => `${a.transport}:${a.host}:${a.port}`);
    expect(keys[0]).toBe('udp:localhost:5070');
    expect(keys).toContain('udp:127.0.0.1:5070');
  });

  it('lists every interface address behind a wildcard bind', async () => {
    const aliases = await localAliases([
      {
        transport: 'tcp',
        address: '0.0.0.0',
        port: 5060,
        family: 4,
        advertisedHost: '192.0.2.10',
        advertisedPort: 5060,
      },
    ]);
    const hosts = aliases.map((a) => a.host);
    expect(hosts[0]).toBe('192.0.2.10');
    expect(hosts).toContain('127.0.0.1');
    expect(aliases.every((a) => a.transport === 'tcp' && a.port === 5060)).toBe(true);
  });
});
