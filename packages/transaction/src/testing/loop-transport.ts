/**
 * An in-memory network of Transports (the idea of pjsip's loop transport and
 * SIP.js's fake transport): every LoopTransport has an address and port on a
 * shared LoopNetwork; `send` serialises, waits the configured delay, may drop
 * or duplicate datagrams, parses the bytes again and hands them to the
 * receiver's handlers with a proper MessageSource. Reliable protocols (all
 * but UDP) never lose or duplicate; sending to nobody over them fails with a
 * TransportError, as a refused connection would.
 */
import { parseMessage, serializeMessage, type SipMessage } from '@strata/parser';
import {
  TransportError,
  type Destination,
  type Endpoint,
  type MessageHandler,
  type MessageSource,
  type Transport,
  type TransportProtocol,
  type ViaAddress,
} from '@strata/transport';
import { systemTimers, type TimerHost } from '../timers.js';

/** One message that went over the network (recorded when `network.record` is on). */
export interface LoopTraceEntry {
  from: string;
  to: string;
  transport: TransportProtocol;
  /** a parsed copy of what was sent */
  message: SipMessage;
  /** lost on the way (loss), or nobody listening */
  dropped: boolean;
  /** network time at send */
  at: number;
}

export interface LoopConditions {
  /** one-way delay in ms (0: delivered on the next timer turn) */
  delay: number;
  /** probability in [0,1] that a datagram (UDP only) is lost */
  loss: number;
  /** probability in [0,1] that a datagram (UDP only) arrives twice */
  duplication: number;
}

/** Decide a send failure: return an error to reject the send, or null to let it go. */
export type FailurePredicate = (
  message: SipMessage,
  destination: Destination,
) => TransportError | null;

export class LoopNetwork {
  readonly timers: TimerHost;
  /** defaults for every transport on the network; each transport may override */
  conditions: LoopConditions = { delay: 0, loss: 0, duplication: 0 };
  /** keep a parsed trace of every message (turn off for benchmarks) */
  record = true;
  readonly trace: LoopTraceEntry[] = [];
  private readonly nodes = new Map<string, LoopTransport>();
  private rand: () => number;

  constructor(options: { timers?: TimerHost; seed?: number } = {}) {
    this.timers = options.timers ?? systemTimers;
    this.rand = mulberry32(options.seed ?? 1);
  }

  /** A transport listening on address:port (all protocols). */
  createTransport(address: string, port = 5060): LoopTransport {
    const t = new LoopTransport(this, address, port);
    this.nodes.set(`${address}:${port}`, t);
    return t;
  }

  remove(transport: LoopTransport): void {
    this.nodes.delete(`${transport.address}:${transport.port}`);
  }

  random(): number {
    return this.rand();
  }

  /** Messages recorded to a node, optionally filtered. */
  to(address: string, port = 5060): LoopTraceEntry[] {
    const key = `${address}:${port}`;
    return this.trace.filter((e) => e.to === key && !e.dropped);
  }

  /** Messages recorded from a node. */
  from(address: string, port = 5060): LoopTraceEntry[] {
    const key = `${address}:${port}`;
    return this.trace.filter((e) => e.from === key);
  }

  clearTrace(): void {
    this.trace.length = 0;
  }

  /** @internal */
  node(address: string, port: number): LoopTransport | undefined {
    return this.nodes.get(`${address}:${port}`);
  }
}

export class LoopTransport implements Transport {
  readonly network: LoopNetwork;
  readonly address: string;
  readonly port: number;
  /** per-transport overrides of the network's conditions (null: use the network's) */
  conditions: LoopConditions | null = null;
  /** inject send failures (e.g. `() => new TransportError('CONNECTION_REFUSED', '…')`) */
  failWith: FailurePredicate | null = null;
  private handlers: MessageHandler[] = [];

  constructor(network: LoopNetwork, address: string, port: number) {
    this.network = network;
    this.address = address;
    this.port = port;
  }

  send(message: SipMessage | Uint8Array, destination: Destination): Promise<void> {
    const bytes = Buffer.isBuffer(message)
      ? message
      : message instanceof Uint8Array
        ? Buffer.from(message)
        : serializeMessage(message);
    const net = this.network;
    if (this.failWith !== null) {
      const err = this.failWith(parseMessage(bytes), destination);
      if (err !== null) return Promise.reject(err);
    }
    const target = net.node(destination.address, destination.port);
    const reliable = this.isReliable(destination.transport);
    if (target === undefined && reliable) {
      return Promise.reject(
        new TransportError(
          'CONNECTION_REFUSED',
          `nobody at ${destination.address}:${destination.port}`,
        ),
      );
    }
    const c = this.conditions ?? net.conditions;
    const lost = target === undefined || (!reliable && c.loss > 0 && net.random() < c.loss);
    if (net.record) {
      net.trace.push({
        from: `${this.address}:${this.port}`,
        to: `${destination.address}:${destination.port}`,
        transport: destination.transport,
        message: parseMessage(bytes),
        dropped: lost,
        at: net.timers.now(),
      });
    }
    if (lost) return Promise.resolve();
    const copies = !reliable && c.duplication > 0 && net.random() < c.duplication ? 2 : 1;
    for (let i = 0; i < copies; i++) this.schedule(target, bytes, destination.transport, c.delay);
    return Promise.resolve();
  }

  onMessage(handler: MessageHandler): () => void {
    this.handlers.push(handler);
    return () => {
      this.handlers = this.handlers.filter((h) => h !== handler);
    };
  }

  viaFor(destination: Endpoint): ViaAddress {
    return { transport: destination.transport.toUpperCase(), host: this.address, port: this.port };
  }

  isReliable(transport: TransportProtocol): boolean {
    return transport !== 'udp';
  }

  /** Deliver a message to this transport's handlers as if `from` had sent it. */
  inject(
    message: SipMessage | Uint8Array | string,
    from: { address: string; port: number; transport?: TransportProtocol },
  ): void {
    const bytes =
      typeof message === 'string'
        ? Buffer.from(message, 'utf8')
        : message instanceof Uint8Array
          ? Buffer.from(message)
          : serializeMessage(message);
    this.deliver(bytes, from.transport ?? 'udp', from.address, from.port);
  }

  /** @internal */
  deliver(bytes: Buffer, transport: TransportProtocol, address: string, port: number): void {
    const message = parseMessage(bytes);
    const source: MessageSource = {
      transport,
      address,
      port,
      localAddress: this.address,
      localPort: this.port,
      connectionId:
        transport === 'udp' ? null : `loop:${address}:${port}-${this.address}:${this.port}`,
    };
    for (const h of this.handlers) h(message, source);
  }

  private schedule(
    target: LoopTransport,
    bytes: Buffer,
    transport: TransportProtocol,
    delay: number,
  ): void {
    // always through the network's timers (a zero delay too), so a
    // ManualTimers or fake clock orders deliveries and protocol timers alike
    this.network.timers.setTimeout(
      () => target.deliver(bytes, transport, this.address, this.port),
      delay,
    );
  }
}

/** small seeded PRNG so loss and duplication are reproducible */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
