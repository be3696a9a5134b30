import { describe, expect, it } from 'vitest';
import { parseMessage, type SipRequest } from '@strata/parser';
import { DEFAULT_ROUTES } from '../src/config.js';
import { RouteTable } from '../src/routing/route-table.js';

const req = (method: string, uri: string, extra = ''): SipRequest =>
  parseMessage(
    Buffer.from(
      `${method} ${uri} SIP/2.0\r\nVia: SIP/2.0/UDP h:5060;branch=z9hG4bK1\r\nFrom: <sip:a@h>;tag=1\r\nTo: <${uri}>\r\nCall-ID: c\r\nCSeq: 1 ${method}\r\n${extra}Content-Length: 0\r\n\r\n`,
    ),
  ) as SipRequest;

const src = {
  transport: 'udp' as const,
  address: '10.1.2.3',
  port: 5060,
  localAddress: '',
  localPort: 0,
  connectionId: null,
};

describe('RouteTable', () => {
  it('defaults: dialog mode for INVITE, transaction for the rest', () => {
    const t = new RouteTable(DEFAULT_ROUTES);
    expect(t.match(req('INVITE', 'sip:bob@example.com'), src)).toMatchObject({
      route: { name: 'calls' },
      mode: 'dialog',
    });
    expect(t.match(req('REGISTER', 'sip:example.com'), src)).toMatchObject({
      route: { name: 'register' },
      mode: 'transaction',
    });
    expect(t.match(req('BYE', 'sip:bob@example.com'), src)).toBeNull();
  });

  it('matches prefix, user regex, domain, source and headers in order', () => {
    const t = new RouteTable([
      {
        name: 'intl',
        match: { methods: ['INVITE'], prefix: ['00', '+'] },
        mode: 'transaction',
        targets: [{ uri: 'sip:gw:5060' }],
        maxDurationSeconds: 0,
      },
      {
        name: 'carrier',
        match: { source: ['10.1.0.0/16'], headers: { 'x-tenant': '^acme$' } },
        targets: [{ mediaGroup: 'media' }],
        maxDurationSeconds: 0,
      },
      {
        name: 'ext',
        match: { user: '^[0-9]{3}$', domain: ['example.com'] },
        mode: 'stateless',
        targets: [{ registrar: true }],
        maxDurationSeconds: 0,
      },
    ]);
    expect(t.match(req('INVITE', 'sip:0044123@example.com'), src)?.route.name).toBe('intl');
    expect(t.match(req('INVITE', 'sip:alice@x', 'X-Tenant: acme\r\n'), src)?.route.name).toBe(
      'carrier',
    );
    expect(t.match(req('INVITE', 'sip:alice@x', 'X-Tenant: other\r\n'), src)).toBeNull();
    expect(
      t.match(req('MESSAGE', 'sip:123@example.com'), { ...src, address: '192.0.2.1' }),
    ).toMatchObject({ route: { name: 'ext' }, mode: 'stateless' });
  });
});
