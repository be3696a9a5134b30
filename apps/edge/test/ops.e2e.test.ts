/**
 * Operations (#9) on the edge process: /metrics of `workers: 2` is one set of series
 * aggregated over the workers (values checked against /stats), ring/probe gauges from
 * the primary; drain: /ready 503 at once, new initial requests 503 after the grace while
 * in-dialog requests still pass, exit 0 after the linger.
 */
import { request } from 'node:http';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  edgeEnv,
  sippUac,
  sipRequest,
  startEdge,
  StubCore,
  UdpPeer,
  type EdgeProcess,
} from './support/harness.js';

function http(
  port: number,
  method: string,
  path: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, timeout: 5_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

function series(text: string, name: string, labels = ''): number | undefined {
  const key = labels === '' ? `${name} ` : `${name}{${labels}} `;
  const line = text.split('\n').find((l) => l.startsWith(key));
  return line === undefined ? undefined : Number(line.slice(key.length));
}

const peers: { close(): Promise<void> }[] = [];
const edges: EdgeProcess[] = [];

afterEach(async () => {
  await Promise.all(edges.splice(0).map((e) => e.stop()));
  await Promise.all(peers.splice(0).map((p) => p.close()));
});

afterAll(async () => {
  await Promise.all(edges.splice(0).map((e) => e.stop()));
});

describe('edge process: operations', () => {
  it('workers: 2 — /metrics aggregates the workers; ring state from the primary', async () => {
    const c1 = await new StubCore('c1').bind();
    peers.push(c1);
    const edge = await startEdge(edgeEnv([c1.core()], { STRATA_WORKERS: '2' }), 15_000);
    edges.push(edge);
    const sipp = await sippUac(edge.sipPort, 10, 40);
    expect(sipp.code, sipp.stderr + sipp.stats).toBe(0);

    const stats = await edge.stats();
    const m = await http(edge.statusPort, 'GET', '/metrics');
    expect(m.status).toBe(200);
    const text = m.body;
    const invitesIn = series(text, 'strata_sip_requests_total', 'direction="in",method="INVITE"');
    expect(invitesIn).toBeGreaterThanOrEqual(10);
    let requestsIn = 0;
    for (const method of ['INVITE', 'ACK', 'BYE', 'OPTIONS', 'CANCEL'])
      requestsIn +=
        series(text, 'strata_sip_requests_total', `direction="in",method="${method}"`) ?? 0;
    expect(requestsIn).toBe(stats.total.forwarder.requestsIn);
    expect(series(text, 'strata_edge_requests_forwarded_total')).toBe(
      stats.total.forwarder.requestsForwarded,
    );
    expect(
      series(text, 'strata_sip_responses_total', 'direction="out",method="INVITE",class="2xx"'),
    ).toBeGreaterThanOrEqual(10);
    expect(series(text, 'strata_edge_core_up', 'core="c1"')).toBe(1);
    expect(series(text, 'strata_edge_ring_cores')).toBe(1);
    expect(series(text, 'strata_ready')).toBe(1);
    // one series per name: the aggregation merged primary + workers
    expect(
      text.split('\n').filter((l) => l.startsWith('process_resident_memory_bytes ')).length,
    ).toBe(1);
  });

  it('drain: not ready at once, new INVITE 503 after the grace, in-dialog still forwarded, exit 0', async () => {
    const c1 = await new StubCore('c1').bind();
    const client = await new UdpPeer().bind();
    peers.push(c1, client);
    const edge = await startEdge(
      edgeEnv([c1.core()], { STRATA_DRAIN: { graceSeconds: 0.3, lingerSeconds: 1.5 } }),
    );
    const exited = new Promise<number | null>((resolve) =>
      edge.proc.once('exit', (c) => resolve(c)),
    );
    const start = await http(edge.statusPort, 'POST', '/admin/drain'); // loopback, no token: open
    expect(start.status).toBe(202);
    expect(JSON.parse(start.body)).toMatchObject({ draining: true, phase: 'grace' });
    expect(await edge.readyStatus()).toBe(503);
    // after the grace: poll with fresh INVITEs until one is refused (bounded by the grace + margin)
    let refused = false;
    for (let i = 0; i < 20 && !refused; i++) {
      const callId = `drain-new-${i}`;
      await client.send(
        sipRequest({
          method: 'INVITE',
          uri: 'sip:bob@127.0.0.1',
          callId,
          branch: `z9hG4bK-dn-${i}`,
          port: client.port,
        }),
        edge.sipPort,
      );
      const r = await client.waitFor(
        (x) => !x.msg.isRequest && x.msg.callId === callId && x.msg.status >= 200,
        callId,
      );
      refused = !r.msg.isRequest && r.msg.status === 503;
      if (!refused) await new Promise((res) => setTimeout(res, 50));
    }
    expect(refused).toBe(true);
    // an in-dialog request (To tag) still reaches the core
    await client.send(
      sipRequest({
        method: 'BYE',
        uri: 'sip:bob@127.0.0.1',
        callId: 'drain-old',
        branch: 'z9hG4bK-dbye',
        port: client.port,
        toTag: 'abc',
        cseqMethod: 'BYE',
        cseq: 2,
      }),
      edge.sipPort,
    );
    const bye = await client.waitFor(
      (x) => !x.msg.isRequest && x.msg.callId === 'drain-old',
      'BYE 200',
    );
    expect(!bye.msg.isRequest && bye.msg.status).toBe(200);
    const code = await Promise.race([
      exited,
      new Promise<string>((r) => setTimeout(() => r('still running'), 5_000).unref()),
    ]);
    expect(code).toBe(0);
  });
});
