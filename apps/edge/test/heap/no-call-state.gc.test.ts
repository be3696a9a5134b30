/**
 * No per-call state: 100k calls (INVITE, 100, 180, 200, ACK, BYE, 200) pushed
 * through EdgeForwarder with an in-memory transport; after GC the heap is
 * back within a few % of the baseline taken after a warm-up (which fills the
 * bounded caches: hashring's 10k-key lookup cache).
 *
 * Needs --expose-gc: run by vitest.gc.config.ts (`pnpm test` runs both configs).
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { parseMessage, type SipMessage, type SipRequest, type SipResponse } from '@strata/parser';
import type {
  Destination,
  Endpoint,
  MessageHandler,
  MessageSource,
  ViaAddress,
} from '@strata/transport';
import { edgeConfigSchema } from '../../src/config.js';
import { EdgeNode } from '../../src/edge-node.js';
import type { EdgeTransport } from '../../src/forwarder.js';

const CALLS = Number(process.env['EDGE_HEAP_CALLS'] ?? 100_000);
const WARMUP = 12_000;

/** Remembers only the last message sent each way: the test reads it back, nothing piles up. */
class LastMessageTransport implements EdgeTransport {
  lastRequest: SipRequest | null = null;
  lastResponse: SipResponse | null = null;
  sent = 0;
  send(message: SipMessage | Uint8Array, _destination: Destination): Promise<void> {
    this.sent++;
    if (!(message instanceof Uint8Array) && message.isRequest) this.lastRequest = message;
    return Promise.resolve();
  }
  sendResponse(response: SipResponse): Promise<void> {
    this.sent++;
    this.lastResponse = response;
    return Promise.resolve();
  }
  onMessage(_handler: MessageHandler): () => void {
    return () => {};
  }
  viaFor(destination: Endpoint): ViaAddress {
    return { transport: destination.transport.toUpperCase(), host: '192.0.2.10', port: 5060 };
  }
  isReliable(): boolean {
    return false;
  }
}

const source = (address: string, port: number): MessageSource => ({
  transport: 'udp',
  address,
  port,
  localAddress: '192.0.2.10',
  localPort: 5060,
  connectionId: null,
});

const parse = (text: string): SipMessage => parseMessage(Buffer.from(text, 'latin1'));

describe('EdgeForwarder keeps no per-call state', () => {
  it(`heap after GC stays flat across ${CALLS} calls`, async () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (gc === undefined) throw new Error('run with --expose-gc (vitest.gc.config.ts)');

    const config = edgeConfigSchema.parse({
      domains: ['example.com'],
      cores: [
        { id: 'c1', uri: 'sip:192.0.2.21:5070' },
        { id: 'c2', uri: 'sip:192.0.2.22:5070' },
      ],
      // one client source sends everything: the limiter's own bound is tested elsewhere
      protection: { rateLimit: { enabled: false } },
    });
    const transport = new LastMessageTransport();
    const edge = new EdgeNode(config, transport, pino({ level: 'silent' }), [
      { transport: 'udp', host: '192.0.2.10', port: 5060 },
    ]);
    const fwd = edge.forwarder;
    const client = source('198.51.100.7', 5062);
    const coreSrc = source('192.0.2.21', 5070);

    const call = (i: number): void => {
      const callId = `${i}-heap@198.51.100.7`;
      const head = (method: string, branch: string, cseq: string, toTag: string, extra: string) =>
        `${method} sip:bob@example.com SIP/2.0\r\n` +
        `Via: SIP/2.0/UDP 198.51.100.7:5062;branch=z9hG4bK${branch}${i};rport\r\n` +
        `Max-Forwards: 70\r\nFrom: <sip:alice@example.com>;tag=a${i}\r\n` +
        `To: <sip:bob@example.com>${toTag}\r\nCall-ID: ${callId}\r\nCSeq: ${cseq}\r\n` +
        `Contact: <sip:alice@198.51.100.7:5062>\r\n${extra}Content-Length: 0\r\n\r\n`;
      const respond = (req: SipRequest, status: number, reason: string, rr: boolean): void => {
        const vias = req.headers
          .getAll('via')
          .map((v) => `Via: ${v}\r\n`)
          .join('');
        const rrs = rr
          ? req.headers
              .getAll('record-route')
              .map((v) => `Record-Route: ${v}\r\n`)
              .join('')
          : '';
        fwd.handle(
          parse(
            `SIP/2.0 ${status} ${reason}\r\n${vias}From: <sip:alice@example.com>;tag=a${i}\r\n` +
              `To: <sip:bob@example.com>${status > 100 ? `;tag=b${i}` : ''}\r\nCall-ID: ${callId}\r\n` +
              `CSeq: ${req.headers.get('cseq')}\r\n${rrs}Contact: <sip:bob@192.0.2.99>\r\nContent-Length: 0\r\n\r\n`,
          ),
          coreSrc,
        );
      };
      fwd.handle(parse(head('INVITE', 'inv', '1 INVITE', '', '')), client);
      const invite = transport.lastRequest!;
      respond(invite, 100, 'Trying', false);
      respond(invite, 180, 'Ringing', true);
      respond(invite, 200, 'OK', true);
      const route = `Route: ${invite.headers.getAll('record-route')[0]}\r\n`;
      fwd.handle(parse(head('ACK', 'ack', '1 ACK', `;tag=b${i}`, route)), client);
      fwd.handle(parse(head('BYE', 'bye', '2 BYE', `;tag=b${i}`, route)), client);
      respond(transport.lastRequest!, 200, 'OK', false);
    };

    // Each datagram is its own macrotask in the real edge, so the microtasks a forward
    // queues (the send promise's .catch) run between messages; a synchronous loop of
    // 100k calls would hold them all queued. Yield every batch, as the event loop would.
    const tick = () => new Promise<void>((r) => setImmediate(r));
    const calls = async (from: number, to: number): Promise<void> => {
      for (let i = from; i < to; i++) {
        call(i);
        if (i % 500 === 499) await tick();
      }
      await tick();
    };
    const heap = (): number => {
      gc();
      gc();
      return process.memoryUsage().heapUsed;
    };
    await calls(0, WARMUP);
    const stats = edge.stats;
    expect(stats.requestsForwarded).toBe(WARMUP * 3);
    expect(stats.responsesForwarded).toBe(WARMUP * 4);
    const baseline = heap();
    const started = Date.now();
    await calls(WARMUP, WARMUP + CALLS);
    const ms = Date.now() - started;
    const after = heap();

    expect(stats.requestsForwarded).toBe((WARMUP + CALLS) * 3);
    expect(stats.responsesForwarded).toBe((WARMUP + CALLS) * 4);
    expect(stats.dropped.size).toBe(0);
    const growth = (after - baseline) / baseline;
    console.log(
      `heap: baseline ${(baseline / 1e6).toFixed(1)} MB, after ${CALLS} calls ${(after / 1e6).toFixed(1)} MB (${(growth * 100).toFixed(2)}%), ${ms} ms`,
    );
    expect(growth).toBeLessThan(0.05);
  }, 120_000);
});
