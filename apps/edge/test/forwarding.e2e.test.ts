/**
 * The built edge as a process: sipp UAC → edge → two stub cores (UDP sockets in
 * this test that record every raw message and answer), raw-socket clients for
 * retransmissions, CANCEL and the protections, and the status endpoint.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SipRequest } from '@strata/parser';
import {
  edgeEnv,
  sippUac,
  sipRequest,
  startEdge,
  StubCore,
  UdpPeer,
  until,
  type EdgeProcess,
  type Received,
} from './support/harness.js';

const EDGE_BRANCH = /^z9hG4bKsE/;

describe('edge process: forwarding through two stub cores', () => {
  let c1: StubCore;
  let c2: StubCore;
  let edge: EdgeProcess;
  let client: UdpPeer;

  beforeAll(async () => {
    c1 = await new StubCore('c1').bind();
    c2 = await new StubCore('c2').bind();
    client = await new UdpPeer().bind();
    edge = await startEdge(edgeEnv([c1.core(), c2.core()]));
    await until(
      'both cores up',
      async () => ((await edge.stats()).ring.up === 2 ? true : undefined),
      5_000,
    );
  });

  afterAll(async () => {
    await edge?.stop();
    await Promise.all([c1?.close(), c2?.close(), client?.close()]);
  });

  it('status endpoint: /health, /ready, /stats, 404', async () => {
    expect((await edge.get('/health')).status).toBe(200);
    expect(await edge.readyStatus()).toBe(200);
    const stats = await edge.stats();
    expect(stats.mode).toBe('single');
    expect(stats.ring.cores.map((c) => c.id)).toEqual(['c1', 'c2']);
    expect(stats.total.forwarder.requestsIn).toBeTypeOf('number');
    expect(stats.total.transport.messagesIn.udp).toBeTypeOf('number');
    expect((await edge.get('/nope')).status).toBe(404);
  });

  it('sipp calls: INVITE, ACK and BYE of each call land on one core, with our Via and Record-Route', async () => {
    const calls = 12;
    const result = await sippUac(edge.sipPort, calls, 20);
    expect(result.code, result.stderr + result.stats).toBe(0);

    const all = [
      ...c1.calls().map((r) => ({ core: 'c1', r })),
      ...c2.calls().map((r) => ({ core: 'c2', r })),
    ];
    const byCall = new Map<string, { core: string; r: Received }[]>();
    for (const e of all) {
      if (e.r.msg.callId.startsWith('noanswer') || !e.r.raw.includes('sipp')) continue;
      byCall.set(e.r.msg.callId, [...(byCall.get(e.r.msg.callId) ?? []), e]);
    }
    expect(byCall.size).toBe(calls);
    const cores = new Set<string>();
    for (const [callId, entries] of byCall) {
      expect(new Set(entries.map((e) => e.core)).size, callId).toBe(1);
      cores.add(entries[0]!.core);
      const methods = entries.map((e) => (e.r.msg as SipRequest).method);
      expect(methods).toEqual(expect.arrayContaining(['INVITE', 'ACK', 'BYE']));
      for (const { r } of entries) {
        const req = r.msg as SipRequest;
        const vias = req.headers.values('via');
        expect(vias, req.method).toHaveLength(2);
        expect(vias[0]).toMatch(
          new RegExp(`^SIP/2.0/UDP 127\\.0\\.0\\.1:${edge.sipPort};branch=z9hG4bKsE[^;]+;rport$`),
        );
        expect(vias[1]).toMatch(/^SIP\/2\.0\/UDP 127\.0\.0\.1:\d+;branch=z9hG4bK/);
        expect(req.maxForwards).toBe(69);
        if (req.method === 'INVITE') {
          const rr = req.headers.values('record-route');
          expect(rr).toHaveLength(1);
          // one transport on both sides: a single Record-Route naming the client's flow
          expect(rr[0]).toMatch(
            new RegExp(`^<sip:f-[^@]+@127\\.0\\.0\\.1:${edge.sipPort};transport=udp;lr>$`),
          );
        } else {
          // in-dialog: the UAC's Route to us was popped (loose routing), nothing left for the core
          expect(req.headers.values('route')).toEqual([]);
          expect(req.headers.values('record-route')).toEqual([]);
        }
      }
    }
    // 12 Call-IDs over two equal cores: both get some (P(all on one) = 2^-11)
    expect(cores.size).toBe(2);
    const stats = await edge.stats();
    expect(stats.total.forwarder.requestsForwarded).toBeGreaterThanOrEqual(calls * 3);
    expect(stats.total.forwarder.responsesForwarded).toBeGreaterThanOrEqual(calls * 2);
  });

  it('a retransmitted INVITE keeps its edge branch and core; its CANCEL gets the same branch', async () => {
    const callId = 'noanswer-retrans-1@127.0.0.1';
    const invite = sipRequest({
      method: 'INVITE',
      uri: 'sip:bob@127.0.0.1',
      callId,
      branch: 'z9hG4bK-retrans-1',
      port: client.port,
    });
    const atCore = (n: number, method: string) => () => {
      const got = [...c1.calls(), ...c2.calls()].filter(
        (r) => r.msg.callId === callId && (r.msg as SipRequest).method === method,
      );
      return got.length >= n ? got : undefined;
    };
    await client.send(invite, edge.sipPort);
    await until('INVITE at a core', atCore(1, 'INVITE'), 3_000);
    await client.send(invite, edge.sipPort);
    const invites = await until('retransmission at a core', atCore(2, 'INVITE'), 3_000);
    await client.send(
      sipRequest({
        method: 'CANCEL',
        uri: 'sip:bob@127.0.0.1',
        callId,
        branch: 'z9hG4bK-retrans-1',
        port: client.port,
      }),
      edge.sipPort,
    );
    const [cancel] = await until('CANCEL at a core', atCore(1, 'CANCEL'), 3_000);
    const branches = [...invites, cancel!].map((r) => r.msg.topVia?.params.get('branch'));
    expect(branches[0]).toMatch(EDGE_BRANCH);
    expect(new Set(branches).size).toBe(1);
    const coreOf = (r: Received) => (c1.received.includes(r) ? 'c1' : 'c2');
    expect(new Set([...invites, cancel!].map(coreOf)).size).toBe(1);
    // the core's 100 and the CANCEL's 200 come back through the edge
    await client.waitFor(
      (r) => !r.msg.isRequest && r.msg.status === 100 && r.msg.callId === callId,
      '100',
    );
    const ok = await client.waitFor(
      (r) => !r.msg.isRequest && r.msg.status === 200 && r.msg.cseq.method === 'CANCEL',
      '200 to CANCEL',
    );
    expect(ok.msg.headers.values('via')).toHaveLength(1);
  });

  describe('protection', () => {
    const reply = (callId: string, status?: number) =>
      client.waitFor(
        (r) =>
          !r.msg.isRequest &&
          r.msg.callId === callId &&
          (status === undefined || r.msg.status === status),
        `${status ?? 'a'} reply to ${callId}`,
      );

    it('Max-Forwards 0: INVITE gets 483, OPTIONS gets 200 from the edge itself', async () => {
      await client.send(
        sipRequest({
          method: 'INVITE',
          uri: 'sip:bob@127.0.0.1',
          callId: 'mf0-invite',
          branch: 'z9hG4bK-mf0-1',
          port: client.port,
          maxForwards: 0,
        }),
        edge.sipPort,
      );
      expect((await reply('mf0-invite')).msg).toMatchObject({ status: 483 });
      await client.send(
        sipRequest({
          method: 'OPTIONS',
          uri: 'sip:127.0.0.1',
          callId: 'mf0-options',
          branch: 'z9hG4bK-mf0-2',
          port: client.port,
          maxForwards: 0,
        }),
        edge.sipPort,
      );
      const ok = await reply('mf0-options');
      expect(ok.msg).toMatchObject({ status: 200 });
      expect(ok.msg.headers.get('allow')).toContain('INVITE');
      for (const c of [c1, c2])
        expect(c.calls().some((r) => r.msg.callId.startsWith('mf0'))).toBe(false);
    });

    it('an initial request for a foreign domain from an untrusted source gets 403', async () => {
      await client.send(
        sipRequest({
          method: 'INVITE',
          uri: 'sip:bob@evil.example.com',
          callId: 'relay-1',
          branch: 'z9hG4bK-relay-1',
          port: client.port,
        }),
        edge.sipPort,
      );
      expect((await reply('relay-1')).msg).toMatchObject({ status: 403 });
      for (const c of [c1, c2])
        expect(c.calls().some((r) => r.msg.callId === 'relay-1')).toBe(false);
    });

    it('a scanner User-Agent is dropped without an answer, and its source banned (#12)', async () => {
      await client.send(
        sipRequest({
          method: 'OPTIONS',
          uri: 'sip:100@127.0.0.1',
          callId: 'scan-1',
          branch: 'z9hG4bK-scan-1',
          port: client.port,
          extra: ['User-Agent: friendly-scanner'],
        }),
        edge.sipPort,
      );
      // a request sent after it that the edge would answer itself: the source is banned
      // now (#12), so it is dropped too — once it is counted, the scanner's request has been
      // handled (same socket, same order) and got nothing
      await client.send(
        sipRequest({
          method: 'OPTIONS',
          uri: 'sip:127.0.0.1',
          callId: 'scan-fence',
          branch: 'z9hG4bK-scan-2',
          port: client.port,
          maxForwards: 0,
        }),
        edge.sipPort,
      );
      await until(
        'fence dropped as banned',
        async () =>
          (await edge.stats()).total.forwarder.dropped['banned'] === 1 ? true : undefined,
        3_000,
      );
      expect(client.received.some((r) => r.msg.callId === 'scan-1')).toBe(false);
      expect(client.received.some((r) => r.msg.callId === 'scan-fence')).toBe(false);
      for (const c of [c1, c2])
        expect(c.calls().some((r) => r.msg.callId === 'scan-1')).toBe(false);
      expect((await edge.stats()).total.forwarder.dropped['scanner']).toBe(1);
    });
  });
});

describe('edge process: no core up', () => {
  it('answers 503 with Retry-After and reports not ready', async () => {
    const dead = await new StubCore('dead').bind();
    dead.alive = false;
    const client = await new UdpPeer().bind();
    const edge = await startEdge(edgeEnv([dead.core()], { STRATA_HEALTH__DOWN_AFTER: '1' }));
    try {
      await until(
        'ready → 503',
        async () => ((await edge.readyStatus()) === 503 ? true : undefined),
        3_000,
      );
      await client.send(
        sipRequest({
          method: 'INVITE',
          uri: 'sip:bob@127.0.0.1',
          callId: 'nocore-1',
          branch: 'z9hG4bK-nocore-1',
          port: client.port,
        }),
        edge.sipPort,
      );
      const res = await client.waitFor((r) => r.msg.callId === 'nocore-1', '503');
      expect(res.msg).toMatchObject({ status: 503 });
      expect(res.msg.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(dead.calls()).toHaveLength(0);
      // the core comes back: ready again
      dead.alive = true;
      await until(
        'ready → 200',
        async () => ((await edge.readyStatus()) === 200 ? true : undefined),
        3_000,
      );
    } finally {
      await edge.stop();
      await Promise.all([dead.close(), client.close()]);
    }
  });
});
