/**
 * `workers: 2`: two node:cluster workers share the UDP port; the primary
 * probes and pushes core state to both; calls forward and /stats lists both.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreRing } from '../src/ring.js';
import {
  edgeEnv,
  sippUac,
  sipRequest,
  startEdge,
  StubCore,
  UdpPeer,
  until,
  type EdgeProcess,
} from './support/harness.js';

describe('edge process: workers: 2', () => {
  let c1: StubCore;
  let c2: StubCore;
  let client: UdpPeer;
  let edge: EdgeProcess;

  beforeAll(async () => {
    c1 = await new StubCore('c1').bind();
    c2 = await new StubCore('c2').bind();
    client = await new UdpPeer().bind();
    edge = await startEdge(edgeEnv([c1.core(), c2.core()], { STRATA_WORKERS: '2' }), 15_000);
  });

  afterAll(async () => {
    const code = await edge?.stop();
    expect(code).toBe(0);
    await Promise.all([c1?.close(), c2?.close(), client?.close()]);
  });

  it('forwards sipp calls, one core per call, and lists both workers in /stats', async () => {
    const calls = 20;
    const sipp = await sippUac(edge.sipPort, calls, 40);
    expect(sipp.code, sipp.stderr + sipp.stats).toBe(0);
    const coreOf = new Map<string, Set<string>>();
    for (const c of [c1, c2])
      for (const r of c.calls())
        coreOf.set(r.msg.callId, (coreOf.get(r.msg.callId) ?? new Set()).add(c.id));
    expect(coreOf.size).toBe(calls);
    for (const cores of coreOf.values()) expect(cores.size).toBe(1);

    const stats = await edge.stats();
    expect(stats.mode).toBe('cluster');
    expect(stats.workers).toHaveLength(2);
    expect(new Set(stats.workers.map((w) => w.pid)).size).toBe(2);
    expect(stats.total.forwarder.requestsForwarded).toBeGreaterThanOrEqual(calls * 3);
    expect(stats.total.forwarder.requestsForwarded).toBe(
      stats.workers.reduce((n, w) => n + w.forwarder.requestsForwarded, 0),
    );
  });

  it('a core marked down by the primary’s probes is down in every worker', async () => {
    c1.alive = false;
    await until(
      'c1 down',
      async () => ((await edge.stats()).ring.up === 1 ? true : undefined),
      3_000,
    );
    // the primary tells the workers over IPC; one more stats round trip (FIFO on the same
    // channel) returns only after every worker has taken the ring change
    await edge.stats();
    const ring = new CoreRing(
      [c1, c2].map((c) => ({
        id: c.id,
        transport: 'udp' as const,
        address: '127.0.0.1',
        port: c.port,
        weight: 1,
      })),
      { vnodes: 40, rejoin: 'immediate', rejoinGraceMs: 0 },
    );
    const ids: string[] = [];
    for (let i = 0; ids.length < 20 && i < 10_000; i++)
      if (ring.owner(`w-${i}`) === 'c1') ids.push(`w-${i}`);
    const before = c1.calls().length;
    await Promise.all(
      ids.map((callId, i) =>
        client.send(
          sipRequest({
            method: 'INVITE',
            uri: 'sip:bob@127.0.0.1',
            callId,
            branch: `z9hG4bK-w-${i}`,
            port: client.port,
          }),
          edge.sipPort,
        ),
      ),
    );
    for (const callId of ids)
      await client.waitFor(
        (r) => !r.msg.isRequest && r.msg.callId === callId && r.msg.status === 200,
        `200 for ${callId}`,
      );
    expect(c1.calls().length).toBe(before);
    c1.alive = true;
    await until(
      'c1 up again',
      async () => ((await edge.stats()).ring.up === 2 ? true : undefined),
      3_000,
    );
  });
});
