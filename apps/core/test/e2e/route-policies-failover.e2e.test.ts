/**
 * Route policies across a core failover (issue #14 with issue #7): redis-server, two cores,
 * one edge. A call on a route with two policies — `stop-record` at 0.3 s (it fails: no
 * one-touch code configured, but it is marked run) and `end` at 4 s — is answered, its
 * core is killed -9 after the first policy ran, and the caller's next in-dialog request
 * (an INFO, through the edge) makes the other core adopt the dialog. The survivor re-arms
 * from the stored answer time: it ends the call at about answer + 4 s (BYE to both
 * parties, CDR reason policy on the survivor) and does not run `stop-record` again.
 *
 * The caller is a raw UDP UAC (below): sipp's scenarios here have no in-dialog request
 * after a pause. The callee is RawUas (it answers the survivor's BYE where it came from).
 */
import dgram from 'node:dgram';
import { join } from 'node:path';
import { createRedisClient, type RedisClient } from '@strata/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freeUdpPorts,
  killAll,
  readCdrs,
  startCore,
  startEdge,
  stopProcess,
  tempDir,
  until,
  type AppProcess,
  edgeSeesCoresUp,
} from './support/harness.js';
import { streamEvents } from './support/event-sink.js';
import { header, RawUas } from './support/raw-uas.js';
import { TestRedis } from './support/redis.js';

const dir = tempDir('route-policies-failover');
let redisServer: TestRedis;
let redis: RedisClient;
let edge: AppProcess;
let coreA: AppProcess;
let coreB: AppProcess;
let P: Record<string, number>;

/** A UAC on a raw socket: INVITE, ACK and one INFO along the route set; answers BYE. */
class RawUac {
  readonly received: string[] = [];
  private readonly callId = `pf-${Date.now()}@127.0.0.1`;
  private readonly tag = 'pfcaller';
  private routes: string[] = [];
  private target = '';
  private toHeader = '';
  private branchN = 0;

  private constructor(
    private readonly sock: dgram.Socket,
    private readonly port: number,
    private readonly edgePort: number,
  ) {
    sock.on('message', (buf) => this.onMessage(buf.toString('latin1')));
  }

  static async open(port: number, edgePort: number): Promise<RawUac> {
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((r) => sock.bind(port, '127.0.0.1', () => r()));
    return new RawUac(sock, port, edgePort);
  }

  get byeReceived(): boolean {
    return this.received.some((m) => m.startsWith('BYE '));
  }

  async invite(user: string): Promise<string> {
    const sdp =
      'v=0\r\no=pf 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n' +
      'm=audio 40002 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';
    const uri = `sip:${user}@127.0.0.1:${this.edgePort}`;
    const ok = await this.request(
      'INVITE',
      uri,
      1,
      [`To: <${uri}>`, 'Content-Type: application/sdp'],
      sdp,
    );
    this.toHeader = header(ok, 'to')[0]!;
    this.routes = header(ok, 'record-route')
      .flatMap((v) => v.split(/,(?=\s*<)/))
      .map((v) => v.trim())
      .reverse();
    this.target = /<([^>]+)>/.exec(header(ok, 'contact')[0] ?? '')?.[1] ?? uri;
    this.send(this.build('ACK', this.target, 1, [`To: ${this.toHeader}`, ...this.routeLines()]));
    return this.callId;
  }

  /** An in-dialog INFO, retransmitted (RFC 3261 §17.1.2.2 timer E) until answered. */
  async info(): Promise<void> {
    await this.request('INFO', this.target, 2, [`To: ${this.toHeader}`, ...this.routeLines()]);
  }

  close(): Promise<void> {
    return new Promise((r) => this.sock.close(() => r()));
  }

  private routeLines(): string[] {
    return this.routes.map((r) => `Route: ${r}`);
  }

  private async request(
    method: string,
    uri: string,
    cseq: number,
    extra: string[],
    body = '',
  ): Promise<string> {
    const msg = this.build(method, uri, cseq, extra, body);
    const want = `${cseq} ${method}`;
    const answered = (): string | undefined =>
      this.received.find((m) => /^SIP\/2\.0 [2-6]\d\d /.test(m) && header(m, 'cseq')[0] === want);
    return until(
      `${method} answered`,
      () => {
        const a = answered();
        if (a === undefined) this.send(msg);
        return a;
      },
      10_000,
      500,
    ).then((a) => {
      if (!a.startsWith('SIP/2.0 200')) throw new Error(`${method}: ${a.split('\r\n')[0]}`);
      return a;
    });
  }

  private build(method: string, uri: string, cseq: number, extra: string[], body = ''): string {
    return [
      `${method} ${uri} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${this.port};branch=z9hG4bK-pf-${++this.branchN};rport`,
      `From: <sip:pf@127.0.0.1:${this.port}>;tag=${this.tag}`,
      `Call-ID: ${this.callId}`,
      `CSeq: ${cseq} ${method}`,
      `Contact: <sip:pf@127.0.0.1:${this.port}>`,
      'Max-Forwards: 70',
      ...extra,
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ].join('\r\n');
  }

  private send(msg: string): void {
    this.sock.send(msg, this.edgePort, '127.0.0.1');
  }

  private onMessage(text: string): void {
    this.received.push(text);
    const method = /^([A-Z]+) /.exec(text)?.[1];
    if (method === undefined || method === 'ACK') return;
    const lines = ['SIP/2.0 200 OK'];
    for (const v of header(text, 'via')) lines.push(`Via: ${v}`);
    for (const h of ['from', 'to', 'call-id', 'cseq'])
      lines.push(`${h}: ${header(text, h)[0] ?? ''}`);
    lines.push('Content-Length: 0', '', '');
    this.send(lines.join('\r\n'));
  }
}

function coreConfig(): Record<string, unknown> {
  return {
    store: { kind: 'redis', redis: { host: '127.0.0.1', port: redisServer.port } },
    cluster: { peers: [`127.0.0.1:${P['coreA']}`, `127.0.0.1:${P['coreB']}`] },
    dialog: { leaseSeconds: 1, keepaliveIntervalSeconds: 0 },
    registrar: { natKeepaliveSeconds: 0 },
    events: { redisStream: { enabled: true } },
    routes: [
      {
        name: 'prepaid',
        match: { user: '^prepaid$' },
        targets: [{ mediaGroup: 'media' }],
        policies: [
          { afterAnsweredSeconds: 0.3, action: 'stop-record' },
          { afterAnsweredSeconds: 4, action: 'end' },
        ],
      },
    ],
    mediaGroups: {
      media: { targets: [{ uri: `sip:127.0.0.1:${P['media']}` }], probe: { enabled: false } },
    },
  };
}

beforeAll(async () => {
  const names = ['edge', 'coreA', 'coreB', 'media', 'caller'];
  const ports = await freeUdpPorts(names.length);
  P = Object.fromEntries(names.map((n, i) => [n, ports[i]!]));
  redisServer = await TestRedis.start();
  redis = createRedisClient({ mode: 'standalone', host: '127.0.0.1', port: redisServer.port });
  [coreA, coreB] = await Promise.all([
    startCore(dir, 'core-a', P['coreA']!, coreConfig()),
    startCore(dir, 'core-b', P['coreB']!, coreConfig()),
  ]);
  edge = await startEdge(dir, P['edge']!, [
    { id: 'core-a', port: P['coreA']! },
    { id: 'core-b', port: P['coreB']! },
  ]);
  await edgeSeesCoresUp(edge, 2);
}, 40_000);

afterAll(async () => {
  redis?.disconnect();
  await killAll();
  await redisServer?.kill();
});

describe('route policies after a core failover', () => {
  it('the adopting core re-arms from the answer time: end at ~4 s on the survivor, the run policy not repeated', async () => {
    const callee = await RawUas.start(P['media']!);
    const caller = await RawUac.open(P['caller']!, P['edge']!);
    try {
      const callId = await caller.invite('prepaid');
      // the owner confirms the dialog (Redis round trips) while it relays the 200, not before;
      // exactly one core must hold it confirmed, or this times out
      const [a] = await until(
        'the dialog confirmed on one core',
        async () => {
          const s = await Promise.all([coreA.stats(), coreB.stats()]);
          return s[0].dialogs.confirmed + s[1].dialogs.confirmed === 1 ? s : undefined;
        },
        3000,
      );
      const [owner, survivor, survivorName] =
        a.dialogs.confirmed === 1 ? [coreA, coreB, 'core-b'] : [coreB, coreA, 'core-a'];
      // the first policy ran on the owner (and was marked run) before it dies
      await until(
        'stop-record marked run',
        async () =>
          (await redis.hget(`strata:policy:{${callId}}`, 'done:0')) === '1' ? true : undefined,
        3000,
      );
      await stopProcess(owner.proc, 'SIGKILL');
      await caller.info(); // through the edge to the survivor: it adopts the dialog
      await until('BYE to the caller', () => (caller.byeReceived ? true : undefined), 8000);
      await until('BYE to the callee', () => (callee.byes.has(callId) ? true : undefined), 3000);
      const cdr = await until(
        'CDR on the survivor',
        () => readCdrs(join(dir, `${survivorName}-cdr.jsonl`)).find((c) => c['callId'] === callId),
        5000,
      );
      expect(cdr).toMatchObject({ hangupParty: 'proxy', hangupReason: 'policy' });
      // the survivor publishes its policy event after the BYEs and the CDR, through its own
      // delivery queue: wait for it rather than read the stream once
      const events = await until(
        "the survivor's end event",
        async () => {
          const mine = (await streamEvents(redis)).filter((e) => e.callId === callId);
          return mine.some((e) => e.type === 'policy' && e.data['action'] === 'end')
            ? mine
            : undefined;
        },
        5000,
      );
      const policies = events.filter((e) => e.type === 'policy');
      expect(
        policies.map((e) => [e.node === survivorName, e.data['action'], e.data['ok']]),
      ).toEqual([
        [false, 'stop-record', false],
        [true, 'end', true],
      ]);
      // timed from the stored answer, not from the adoption
      const answeredAt = events.find((e) => e.type === 'answered')!.answeredAt!;
      const endAt = policies[1]!.ts;
      expect(endAt - answeredAt).toBeGreaterThanOrEqual(3950);
      expect(endAt - answeredAt).toBeLessThan(6000);
      expect(
        (await survivor.stats<{ callControl: { routePolicies: { rearmed: number } } }>())
          .callControl.routePolicies.rearmed,
      ).toBe(1);
    } finally {
      await caller.close();
      await callee.close();
    }
  }, 40_000);
});
