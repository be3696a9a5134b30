import { request, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { parseMessage } from '@strata/parser';
import { describe, expect, it } from 'vitest';
import {
  adminPolicy,
  counterFrom,
  createOpsHandler,
  createRegistry,
  gaugeFrom,
  SipMessageMetrics,
} from '../src/index.js';

const msg = (text: string) => parseMessage(Buffer.from(text.replace(/\n/g, '\r\n')));
const COMMON =
  'Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\nFrom: <sip:a@x>;tag=1\nTo: <sip:b@x>\nCall-ID: c1\n';

describe('SipMessageMetrics', () => {
  it('counts by direction, method and status class', async () => {
    const reg = createRegistry({ defaults: false });
    const m = new SipMessageMetrics(reg);
    const invite = msg(`INVITE sip:b@x SIP/2.0\n${COMMON}CSeq: 1 INVITE\nContent-Length: 0\n\n`);
    const ok = msg(`SIP/2.0 200 OK\n${COMMON}CSeq: 1 INVITE\nContent-Length: 0\n\n`);
    const busy = msg(`SIP/2.0 486 Busy Here\n${COMMON}CSeq: 1 INVITE\nContent-Length: 0\n\n`);
    const odd = msg(`FOO sip:b@x SIP/2.0\n${COMMON}CSeq: 1 FOO\nContent-Length: 0\n\n`);
    m.received(invite);
    m.received(invite);
    m.sent(ok);
    m.sent(busy);
    m.received(odd);
    const text = await reg.metrics();
    expect(text).toContain('strata_sip_requests_total{direction="in",method="INVITE"} 2');
    expect(text).toContain('strata_sip_requests_total{direction="in",method="OTHER"} 1');
    expect(text).toContain(
      'strata_sip_responses_total{direction="out",method="INVITE",class="2xx"} 1',
    );
    expect(text).toContain(
      'strata_sip_responses_total{direction="out",method="INVITE",class="4xx"} 1',
    );
  });

  it('hands counts over at each scrape: none lost, none counted twice', async () => {
    const reg = createRegistry({ defaults: false });
    const m = new SipMessageMetrics(reg);
    const invite = msg(`INVITE sip:b@x SIP/2.0\n${COMMON}CSeq: 1 INVITE\nContent-Length: 0\n\n`);
    const ringing = msg(`SIP/2.0 180 Ringing\n${COMMON}CSeq: 1 INVITE\nContent-Length: 0\n\n`);
    const line = 'strata_sip_requests_total{direction="in",method="INVITE"}';
    const provisional = 'strata_sip_responses_total{direction="out",method="INVITE",class="1xx"}';
    m.received(invite);
    m.sent(ringing);
    let text = await reg.metrics();
    expect(text).toContain(`${line} 1`);
    expect(text).toContain(`${provisional} 1`);
    // a scrape with nothing new in between changes nothing
    expect(await reg.metrics()).toContain(`${line} 1`);
    m.received(invite);
    m.received(invite);
    m.sentBytes(
      Buffer.from(`SIP/2.0 180 Ringing\r\n${COMMON.replace(/\n/g, '\r\n')}CSeq: 1 INVITE\r\n\r\n`),
    );
    text = await reg.metrics();
    expect(text).toContain(`${line} 3`);
    expect(text).toContain(`${provisional} 2`);
    // get() (what counterFrom-style readers use) collects too
    const value = (await reg.getSingleMetric('strata_sip_requests_total')!.get()).values.find(
      (v) => v.labels.direction === 'in' && v.labels.method === 'INVITE',
    )?.value;
    expect(value).toBe(3);
  });

  it('counterFrom / gaugeFrom read plain counters at scrape time', async () => {
    const reg = createRegistry({ defaults: false });
    let n = 3;
    const drops = new Map([['scanner', 2]]);
    counterFrom(reg, 'x_total', 'x', () => n);
    counterFrom(
      reg,
      'd_total',
      'd',
      () => [...drops].map(([reason, v]) => [{ reason }, v] as const),
      ['reason'],
    );
    gaugeFrom(reg, 'g', 'g', () => 5);
    n = 4;
    const text = await reg.metrics();
    expect(text).toContain('x_total 4');
    expect(text).toContain('d_total{reason="scanner"} 2');
    expect(text).toContain('g 5');
  });
});

describe('admin policy and handler', () => {
  it('policy: token → token; loopback without token → open; elsewhere without token → off', () => {
    expect(adminPolicy('127.0.0.1', true, undefined)).toBe('open');
    expect(adminPolicy('::1', true, undefined)).toBe('open');
    expect(adminPolicy('0.0.0.0', true, undefined)).toBe('off');
    expect(adminPolicy('10.0.0.5', true, 'sekrit-token')).toBe('token');
    expect(adminPolicy('127.0.0.1', true, 'sekrit-token')).toBe('token');
    expect(adminPolicy('127.0.0.1', false, 'sekrit-token')).toBe('off');
  });

  it('401 without the bearer token, 200 with it; /metrics served', async () => {
    const reg = createRegistry({ defaults: false });
    gaugeFrom(reg, 'strata_up', 'up', () => 1);
    const handler = createOpsHandler({
      metrics: async () => ({ contentType: reg.contentType, body: await reg.metrics() }),
      admin: {
        policy: 'token',
        token: 'sekrit-token',
        routes: [
          {
            method: 'POST',
            path: /^\/echo$/,
            handle: (r) => ({ status: 200, body: { got: r.body, q: r.query.get('x') } }),
          },
        ],
      },
      logger: pino({ level: 'silent' }),
    });
    const server = createServer((req, res) => {
      if (!handler(req, res, (req.url ?? '/').split('?')[0]!)) res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as AddressInfo).port;
    const call = (method: string, path: string, headers: Record<string, string> = {}, body = '') =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
          let b = '';
          res.setEncoding('utf8').on('data', (d: string) => (b += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: b }));
        });
        req.on('error', reject);
        req.end(body);
      });
    expect((await call('POST', '/admin/echo')).status).toBe(401);
    expect(
      (await call('POST', '/admin/echo', { authorization: 'Bearer wrong-token!' })).status,
    ).toBe(401);
    const ok = await call(
      'POST',
      '/admin/echo?x=1',
      { authorization: 'Bearer sekrit-token' },
      '{"a":1}',
    );
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toEqual({ got: { a: 1 }, q: '1' });
    expect(
      (await call('GET', '/admin/echo', { authorization: 'Bearer sekrit-token' })).status,
    ).toBe(405);
    const m = await call('GET', '/metrics');
    expect(m.status).toBe(200);
    expect(m.body).toContain('strata_up 1');
    server.close();
  });
});

describe('serialised messages', () => {
  it('peekMessage / sentBytes / callIdOf read the start line, CSeq and Call-ID', async () => {
    const { peekMessage, callIdOf } = await import('../src/index.js');
    const req = Buffer.from(`BYE sip:b@x SIP/2.0\r\nCall-ID: abc@h\r\nCSeq: 2 BYE\r\n\r\n`);
    const res = Buffer.from(`SIP/2.0 486 Busy\r\nVia: x\r\ni: cmp\r\nCSeq: 1 INVITE\r\n\r\n`);
    expect(peekMessage(req)).toEqual({ method: 'BYE', status: 0 });
    expect(peekMessage(res)).toEqual({ method: 'INVITE', status: 486 });
    expect(peekMessage(Buffer.from('INVITEX sip:a SIP/2.0\r\n'))).toEqual({
      method: 'OTHER',
      status: 0,
    });
    expect(callIdOf(req)).toBe('abc@h');
    expect(callIdOf(res)).toBe('cmp');
    const reg = createRegistry({ defaults: false });
    const m = new SipMessageMetrics(reg);
    m.sentBytes(req);
    m.sentBytes(res);
    const text = await reg.metrics();
    expect(text).toContain('strata_sip_requests_total{direction="out",method="BYE"} 1');
    expect(text).toContain(
      'strata_sip_responses_total{direction="out",method="INVITE",class="4xx"} 1',
    );
  });
});
