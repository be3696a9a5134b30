/**
 * The core router's failure hook after a 6xx: the proxy runs it then (failureHookAfter6xx,
 * for call forwarding on 600), so the router itself must keep RFC 3261 §16.7 item 5 for
 * everything else: a sequential hunt group stops at a 6xx but moves on after a 486.
 */
import { parseMessage, type SipRequest, type SipResponse } from '@strata/parser';
import type { FailureContext, ProxyTarget } from '@strata/transaction';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { huntGroupSchema, routeSchema } from '../src/config.js';
import type { Registrar } from '../src/registrar/registrar.js';
import { CoreRouter } from '../src/routing/router.js';
import type { RouteTable } from '../src/routing/route-table.js';

const log = pino({ level: 'silent' });
const source = { transport: 'udp', address: '10.0.0.9', port: 5060 } as FailureContext['source'];

function invite(): SipRequest {
  return parseMessage(
    Buffer.from(
      'INVITE sip:seq@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.9;branch=z9hG4bK-r1\r\n' +
        'Max-Forwards: 70\r\nFrom: <sip:c@example.com>;tag=f\r\nTo: <sip:seq@example.com>\r\n' +
        'Call-ID: hunt-6xx\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n',
    ),
  ) as SipRequest;
}

function response(status: number): SipResponse {
  return parseMessage(
    Buffer.from(
      `SIP/2.0 ${status} X\r\nVia: SIP/2.0/UDP 10.0.0.9;branch=z9hG4bK-r1\r\nFrom: <sip:c@example.com>;tag=f\r\n` +
        'To: <sip:seq@example.com>;tag=t\r\nCall-ID: hunt-6xx\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n',
    ),
  ) as SipResponse;
}

async function huntThenFail(status: number): Promise<ProxyTarget[]> {
  const router = new CoreRouter(
    () => ({}) as RouteTable,
    {} as Registrar,
    new Map(),
    () => ({
      seq: huntGroupSchema.parse({
        strategy: 'sequential',
        ringSeconds: 1,
        members: [{ target: 'sip:10.0.0.2:5060' }, { target: 'sip:10.0.0.3:5060' }],
      }),
    }),
    { nodeId: 'core-t' },
    log,
  );
  const req = invite();
  const route = routeSchema.parse({ name: 'seq', targets: [{ huntGroup: 'seq' }] });
  const first = await router.route(req, source, { route, mode: 'dialog' });
  expect(first).toMatchObject({ action: 'relay', targets: [{ uri: 'sip:10.0.0.2:5060' }] });
  const added: ProxyTarget[] = [];
  await router.onFailure({
    request: req,
    source,
    responses: [response(status)],
    bestStatus: status,
    round: 0,
    after6xx: status >= 600,
    addTargets: (t) => added.push(...t),
  });
  return added;
}

describe('core router failure hook', () => {
  it('a sequential hunt group moves on after 486', async () => {
    expect((await huntThenFail(486)).map((t) => t.uri)).toEqual(['sip:10.0.0.3:5060']);
  });

  it('a sequential hunt group stops at a 6xx (RFC 3261 §16.7 item 5)', async () => {
    expect(await huntThenFail(600)).toEqual([]);
    expect(await huntThenFail(603)).toEqual([]);
  });
});
