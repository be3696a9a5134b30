/**
 * Kill one backend (it stops answering anything, probes included, but keeps
 * recording what reaches it): within probe interval × downAfter (+ one probe
 * timeout) the edge marks it down, its calls move to the next node on the
 * ring, new calls succeed, and nothing but probes reaches the dead core.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SipRequest } from '@strata/parser';
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

const INTERVAL_MS = 100;
const TIMEOUT_MS = 80;
const DOWN_AFTER = 2;

describe('edge process: core failover', () => {
  let c1: StubCore;
  let c2: StubCore;
  let client: UdpPeer;
  let edge: EdgeProcess;
  let ring: CoreRing;

  beforeAll(async () => {
    c1 = await new StubCore('c1').bind();
    c2 = await new StubCore('c2').bind();
    client = await new UdpPeer().bind();
    edge = await startEdge(
      edgeEnv([c1.core(), c2.core()], {
        STRATA_HEALTH__INTERVAL_MS: String(INTERVAL_MS),
        STRATA_HEALTH__TIMEOUT_MS: String(TIMEOUT_MS),
        STRATA_HEALTH__DOWN_AFTER: String(DOWN_AFTER),
      }),
    );
    // the same ring the edge builds from the same config (default vnodes, equal weights)
    ring = new CoreRing(
      [c1, c2].map((c) => ({
        id: c.id,
        transport: 'udp' as const,
        address: '127.0.0.1',
        port: c.port,
        weight: 1,
      })),
      { vnodes: 40, rejoin: 'immediate', rejoinGraceMs: 0 },
    );
  });

  afterAll(async () => {
    await edge?.stop();
    await Promise.all([c1?.close(), c2?.close(), client?.close()]);
  });

  const ownedBy = (id: string, n: number, prefix: string): string[] => {
    const out: string[] = [];
    for (let i = 0; out.length < n && i < 10_000; i++) {
      const callId = `${prefix}-${i}@failover.test`;
      if (ring.owner(callId) === id) out.push(callId);
    }
    return out;
  };

  const invite = (callId: string, i: number) =>
    sipRequest({
      method: 'INVITE',
      uri: 'sip:bob@127.0.0.1',
      callId,
      branch: `z9hG4bK-fo-${callId.split('@')[0]}-${i}`,
      port: client.port,
    });

  const finalFor = (callId: string, method: string) =>
    client.waitFor(
      (r) =>
        !r.msg.isRequest &&
        r.msg.callId === callId &&
        r.msg.status >= 200 &&
        r.msg.cseq.method === method,
      `final ${method} response for ${callId}`,
    );

  it('moves a dead core’s calls to the next node within interval × K, and sends it nothing more', async () => {
    // an established call owned by c1
    const [established] = ownedBy('c1', 1, 'est');
    await client.send(invite(established!, 0), edge.sipPort);
    const ok = await finalFor(established!, 'INVITE');
    expect(ok.msg).toMatchObject({ status: 200 });
    expect(c1.calls().some((r) => r.msg.callId === established)).toBe(true);

    // kill c1
    c1.alive = false;
    const killedAt = Date.now();
    await until(
      'c1 marked down',
      async () =>
        (await edge.stats()).ring.cores.find((c) => c.id === 'c1')?.up === false ? true : undefined,
      3_000,
    );
    const detectMs = Date.now() - killedAt;
    // K missed probes, each answered-or-not within the probe timeout; plus poll and scheduling slack
    expect(detectMs).toBeLessThanOrEqual(INTERVAL_MS * DOWN_AFTER + TIMEOUT_MS + 400);
    const reachedC1 = c1.calls().length;

    // the established call's BYE goes to the survivor
    const toTag = (ok.msg.headers.get('to') ?? '').split('tag=')[1]!;
    await client.send(
      sipRequest({
        method: 'BYE',
        uri: 'sip:bob@127.0.0.1',
        callId: established!,
        branch: 'z9hG4bK-fo-bye-1',
        port: client.port,
        cseq: 2,
        toTag,
      }),
      edge.sipPort,
    );
    expect((await finalFor(established!, 'BYE')).msg).toMatchObject({ status: 200 });
    expect(
      c2
        .calls()
        .some((r) => r.msg.callId === established && (r.msg as SipRequest).method === 'BYE'),
    ).toBe(true);

    // new calls whose owner is c1 succeed on c2
    const moved = ownedBy('c1', 20, 'new');
    await Promise.all(moved.map((id, i) => client.send(invite(id, i), edge.sipPort)));
    for (const id of moved)
      expect((await finalFor(id, 'INVITE')).msg).toMatchObject({ status: 200 });
    for (const id of moved) expect(c2.calls().some((r) => r.msg.callId === id)).toBe(true);

    // and sipp calls all succeed
    const sipp = await sippUac(edge.sipPort, 10, 20);
    expect(sipp.code, sipp.stderr + sipp.stats).toBe(0);

    // nothing but probes reached the dead core after it was marked down
    expect(c1.calls().length).toBe(reachedC1);
    expect(await edge.readyStatus()).toBe(200);
  });
});
