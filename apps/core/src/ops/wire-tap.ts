/**
 * The core's view of the wire (#9): every received message is counted (and copied to HEP)
 * by a transport subscription made before the transaction layer's, every sent message by a
 * thin `send` wrapper. Built only when metrics or HEP are on — otherwise the CoreNode gets
 * the SipTransport itself and nothing runs per message.
 *
 * Retransmissions absorbed: a request (not ACK) that matches a live server transaction is
 * a retransmission the layer answers from its state, never relayed. A call is an initial
 * INVITE that matched none.
 */
import { serializeMessage, type SipMessage } from '@strata/parser';
import type { HepExporter, SipMessageMetrics } from '@strata/ops';
import { callIdOf, peekMessage } from '@strata/ops';
import type { TransactionLayer } from '@strata/transaction';
import type { Destination, MessageSource, SipTransport, Transport } from '@strata/transport';

export interface CoreWireCounters {
  retransmissionsAbsorbed: number;
  calls: number;
  /** final non-2xx answers to INVITE sent by this core, by status (first transmission only) */
  readonly callFailures: Map<number, number>;
}

export class CoreWireTap {
  readonly counters: CoreWireCounters = {
    retransmissionsAbsorbed: 0,
    calls: 0,
    callFailures: new Map(),
  };
  /** set once the CoreNode exists */
  layer: TransactionLayer | null = null;
  /** a retransmitted final response is the same Buffer: count each failure once */
  private readonly failuresSeen = new WeakSet<object>();

  constructor(
    private readonly transport: SipTransport,
    private readonly metrics: SipMessageMetrics | null,
    private readonly hep: HepExporter | null,
  ) {}

  /** Subscribe before the transaction layer does (handlers run in subscription order). */
  attach(): () => void {
    return this.transport.onMessage((msg, source) => this.received(msg, source));
  }

  /** The Transport the CoreNode uses: `send` counted and traced, the rest as is. */
  wrap(): Transport {
    const t = this.transport;
    return {
      send: (message, destination) => {
        this.sent(message, destination);
        return t.send(message, destination);
      },
      onMessage: (handler) => t.onMessage(handler),
      viaFor: (destination) => t.viaFor(destination),
      isReliable: (transport) => t.isReliable(transport),
    };
  }

  private received(msg: SipMessage, source: MessageSource): void {
    this.metrics?.received(msg);
    if (msg.isRequest && msg.method !== 'ACK') {
      if (this.layer?.findServerTransaction(msg) != null) this.counters.retransmissionsAbsorbed++;
      else if (msg.method === 'INVITE' && msg.toTag === null) this.counters.calls++;
    }
    if (this.hep !== null) {
      const bytes = msg.source ?? serializeMessage(msg);
      this.hep.capture(
        bytes,
        source.transport,
        source,
        { address: source.localAddress, port: source.localPort },
        safeCallId(msg),
      );
    }
  }

  private sent(message: SipMessage | Uint8Array, destination: Destination): void {
    let method: string;
    let status: number;
    if (message instanceof Uint8Array) {
      this.metrics?.sentBytes(message);
      ({ method, status } = peekMessage(message));
    } else {
      this.metrics?.sent(message);
      method = message.isRequest ? message.method : safeCSeqMethod(message);
      status = message.isRequest ? 0 : message.status;
    }
    if (status >= 300 && method === 'INVITE' && !this.failuresSeen.has(message)) {
      this.failuresSeen.add(message);
      const f = this.counters.callFailures;
      f.set(status, (f.get(status) ?? 0) + 1);
    }
    if (this.hep !== null) {
      const bytes = message instanceof Uint8Array ? message : serializeMessage(message);
      const via = this.transport.viaFor(destination);
      this.hep.capture(
        bytes,
        destination.transport,
        {
          address: destination.localAddress ?? via.host.replace(/^\[|\]$/g, ''),
          port: destination.localPort ?? via.port,
        },
        destination,
        message instanceof Uint8Array ? callIdOf(message) : safeCallId(message),
      );
    }
  }
}

function safeCallId(msg: SipMessage): string | null {
  try {
    return msg.callId;
  } catch {
    return null;
  }
}

function safeCSeqMethod(msg: SipMessage): string {
  try {
    return msg.cseq.method;
  } catch {
    return '';
  }
}
