/** Shared test helpers: messages, bounded waits on events, a stream client. */
import { once } from 'node:events';
import net from 'node:net';
import { pino } from 'pino';
import type { SipMessage } from '@strata/parser';
import { SipTransport } from '../src/sip-transport.js';
import type { SipTransportOptions } from '../src/config.js';
import type { MessageSource } from '../src/types.js';

export const silent = pino({ level: 'silent' });

export interface RequestOptions {
  method?: string;
  via?: string;
  callId?: string;
  cseq?: number;
  body?: string;
  /** false: leave Content-Length out */
  contentLength?: boolean;
  extra?: string[];
}

let seq = 0;

/** A small, valid SIP request as text. */
export function request(o: RequestOptions = {}): string {
  const method = o.method ?? 'OPTIONS';
  const body = o.body ?? '';
  const branch = `z9hG4bK-test-${++seq}`;
  const lines = [
    `${method} sip:bob@example.com SIP/2.0`,
    `Via: ${o.via ?? 'SIP/2.0/UDP 127.0.0.1:5060'};branch=${branch}`,
    'Max-Forwards: 70',
    'From: <sip:alice@example.com>;tag=1928301774',
    'To: <sip:bob@example.com>',
    `Call-ID: ${o.callId ?? `call-${seq}@test`}`,
    `CSeq: ${o.cseq ?? 1} ${method}`,
    ...(o.extra ?? []),
  ];
  if (o.contentLength !== false) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/** Bounded wait for one event. */
export async function event<T extends unknown[] = unknown[]>(
  emitter: NodeJS.EventEmitter,
  name: string,
  ms = 3000,
): Promise<T> {
  return (await once(emitter, name, { signal: AbortSignal.timeout(ms) })) as T;
}

/** Resolve with the next `count` messages the transport hands up, or reject after `ms`. */
export function messages(
  t: SipTransport,
  count = 1,
  ms = 3000,
): Promise<[SipMessage, MessageSource][]> {
  return new Promise((resolve, reject) => {
    const got: [SipMessage, MessageSource][] = [];
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out with ${got.length}/${count} messages`));
    }, ms);
    const off = t.onMessage((m, s) => {
      got.push([m, s]);
      if (got.length === count) {
        clearTimeout(timer);
        off();
        resolve(got);
      }
    });
  });
}

export async function nextMessage(
  t: SipTransport,
  ms = 3000,
): Promise<[SipMessage, MessageSource]> {
  return (await messages(t, 1, ms))[0]!;
}

/** Resolve when `check` becomes true, re-checking on every event of `emitter`. */
export function until(
  emitter: NodeJS.EventEmitter,
  name: string,
  check: () => boolean,
  ms = 3000,
): Promise<void> {
  return new Promise((resolve, reject) => {
    if (check()) return resolve();
    const onEvent = (): void => {
      if (!check()) return;
      clearTimeout(timer);
      emitter.off(name, onEvent);
      resolve();
    };
    const timer = setTimeout(() => {
      emitter.off(name, onEvent);
      reject(new Error(`condition not met within ${ms} ms`));
    }, ms);
    emitter.on(name, onEvent);
  });
}

export async function startTransport(
  o: Partial<SipTransportOptions> & Pick<SipTransportOptions, 'listeners'>,
): Promise<SipTransport> {
  const t = new SipTransport({ logger: silent, ...o });
  await t.start();
  return t;
}

/** A raw stream client that accumulates what it reads. */
export class StreamClient {
  readonly socket: net.Socket;
  text = '';
  closed = false;

  constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      this.text += d;
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
    });
  }

  static async connect(port: number, host = '127.0.0.1'): Promise<StreamClient> {
    const socket = net.connect({ port, host });
    await event(socket, 'connect');
    return new StreamClient(socket);
  }

  write(data: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) =>
      this.socket.write(data, (err) => (err ? reject(err) : resolve())),
    );
  }

  /** Wait until the accumulated text satisfies `check`. */
  waitFor(check: (text: string) => boolean, ms = 3000): Promise<void> {
    return until(this.socket, 'data', () => check(this.text), ms);
  }

  count(needle: string): number {
    let n = 0;
    let i = this.text.indexOf(needle);
    while (i >= 0) {
      n++;
      i = this.text.indexOf(needle, i + needle.length);
    }
    return n;
  }

  async closedWithin(ms = 3000): Promise<void> {
    if (this.closed) return;
    await event(this.socket, 'close', ms);
  }
}

/** Resolve when `check` holds, re-checking once per event-loop turn, or reject after `ms`. */
export function eventually(check: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (check()) resolve();
      else if (Date.now() > deadline) reject(new Error(`condition not met within ${ms} ms`));
      else setImmediate(tick);
    };
    tick();
  });
}
