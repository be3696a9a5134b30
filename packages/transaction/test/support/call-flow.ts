/**
 * A whole call, INVITE→180→200→ACK→BYE→200, between two scripted UAs on the
 * loop network, through a StatefulProxy or straight from UA to UA. Shared by
 * the leak test and the benchmark; the UAs build their messages from string
 * templates and keep no history, so what grows is the proxy's state.
 */
import { createResponse, type SipMessage, type SipRequest } from '@strata/parser';
import type { MessageSource } from '@strata/transport';
import { pino, type Logger } from 'pino';
import { TransactionLayer } from '../../src/layer.js';
import { StatefulProxy } from '../../src/proxy/stateful-proxy.js';
import type { RouteDecision } from '../../src/proxy/types.js';
import { LoopNetwork, ManualTimers, type LoopTransport } from './loop-transport.js';

const CALLER = { address: '10.0.0.1', port: 5060 };
const CALLEE = { address: '10.0.0.2', port: 5060 };
const PROXY = { address: '10.0.0.10', port: 5060 };

export interface CallFlow {
  timers: ManualTimers;
  layer: TransactionLayer | null;
  /** calls that saw the 200 to their BYE */
  completed: number;
  /** start call number `i` (one INVITE from the caller) */
  start(i: number): void;
  /** let every queued message and due timer run */
  settle(): void;
  /** move time on (transactions wait out Timers D/I/J/K/L/M) */
  advance(ms: number): void;
}

function invite(i: number): Buffer {
  return Buffer.from(
    `INVITE sip:bob@example.com SIP/2.0\r\n` +
      `Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKinv${i}\r\n` +
      `Max-Forwards: 70\r\n` +
      `From: <sip:alice@example.com>;tag=a${i}\r\n` +
      `To: <sip:bob@example.com>\r\n` +
      `Call-ID: call${i}@10.0.0.1\r\n` +
      `CSeq: 1 INVITE\r\n` +
      `Contact: <sip:alice@10.0.0.1:5060>\r\n` +
      `Content-Length: 0\r\n\r\n`,
  );
}

function inDialog(
  method: 'ACK' | 'BYE',
  callId: string,
  fromTag: string,
  toTag: string,
  cseq: number,
  branch: string,
): Buffer {
  return Buffer.from(
    `${method} sip:bob@10.0.0.2:5060 SIP/2.0\r\n` +
      `Via: SIP/2.0/UDP 10.0.0.1:5060;branch=${branch}\r\n` +
      `Max-Forwards: 70\r\n` +
      `From: <sip:alice@example.com>;tag=${fromTag}\r\n` +
      `To: <sip:bob@example.com>;tag=${toTag}\r\n` +
      `Call-ID: ${callId}\r\n` +
      `CSeq: ${cseq} ${method}\r\n` +
      `Content-Length: 0\r\n\r\n`,
  );
}

export function createCallFlow(options: { viaProxy: boolean; logger?: Logger }): CallFlow {
  const timers = new ManualTimers();
  const network = new LoopNetwork({ timers });
  network.record = false;
  const caller = network.createTransport(CALLER.address, CALLER.port);
  const callee = network.createTransport(CALLEE.address, CALLEE.port);
  const first = options.viaProxy ? PROXY : CALLEE;
  let layer: TransactionLayer | null = null;

  if (options.viaProxy) {
    const transport = network.createTransport(PROXY.address, PROXY.port);
    layer = new TransactionLayer({
      transport,
      timers,
      logger: options.logger ?? pino({ level: 'silent' }),
    });
    const toCallee: RouteDecision = {
      action: 'relay',
      targets: [{ uri: 'sip:bob@10.0.0.2:5060', destination: { transport: 'udp', ...CALLEE } }],
    };
    new StatefulProxy(layer, {
      router: () => toCallee,
      recordRoute: () => '<sip:10.0.0.10:5060;lr>',
    }).attach();
  }

  const flow: CallFlow = {
    timers,
    layer,
    completed: 0,
    start(i) {
      void caller.send(invite(i), { transport: 'udp', ...first });
    },
    settle() {
      timers.advance(0);
    },
    advance(ms) {
      timers.advance(ms);
    },
  };

  let seq = 0;
  caller.onMessage((message: SipMessage, source: MessageSource) => {
    if (message.isRequest) return;
    const { method } = message.cseq;
    if (message.status !== 200) return;
    if (method === 'INVITE') {
      const toTag = message.toTag ?? '';
      const fromTag = message.fromTag ?? '';
      const dest = { transport: source.transport, address: source.address, port: source.port };
      void caller.send(
        inDialog('ACK', message.callId, fromTag, toTag, 1, `z9hG4bKack${++seq}`),
        dest,
      );
      void caller.send(
        inDialog('BYE', message.callId, fromTag, toTag, 2, `z9hG4bKbye${++seq}`),
        dest,
      );
    } else if (method === 'BYE') flow.completed++;
  });

  callee.onMessage((message: SipMessage, source: MessageSource) => {
    if (!message.isRequest) return;
    const dest = { transport: source.transport, address: source.address, port: source.port };
    const request: SipRequest = message;
    if (request.method === 'INVITE') {
      const rr = request.headers
        .getAll('record-route')
        .map((v): [string, string] => ['Record-Route', v]);
      const extra: [string, string][] = [...rr, ['Contact', '<sip:bob@10.0.0.2:5060>']];
      void callee.send(
        createResponse(request, 180, undefined, { toTag: 'b1', headers: extra }),
        dest,
      );
      void callee.send(
        createResponse(request, 200, undefined, { toTag: 'b1', headers: extra }),
        dest,
      );
    } else if (request.method === 'BYE') {
      void callee.send(createResponse(request, 200), dest);
    }
  });

  return flow;
}

export type { LoopTransport };
