/**
 * The edge's view of the wire (#9): received messages counted (and copied to HEP) by a
 * transport subscription made before the forwarder's; sent ones by thin `send` /
 * `sendResponse` wrappers. Built only when metrics or HEP are on — otherwise the EdgeNode
 * gets the SipTransport itself.
 */
import { serializeMessage, type SipMessage, type SipResponse } from '@strata/parser';
import { callIdOf, type HepExporter, type SipMessageMetrics } from '@strata/ops';
import {
  responseDestination,
  type Destination,
  type Endpoint,
  type MessageSource,
  type SipTransport,
} from '@strata/transport';
import type { EdgeTransport } from '../forwarder.js';

export class EdgeWireTap {
  constructor(
    private readonly transport: SipTransport,
    private readonly metrics: SipMessageMetrics | null,
    private readonly hep: HepExporter | null,
  ) {}

  /** Subscribe before the forwarder does (handlers run in subscription order). */
  attach(): () => void {
    return this.transport.onMessage((msg, source) => this.received(msg, source));
  }

  wrap(): EdgeTransport {
    const t = this.transport;
    return {
      send: (message, destination) => {
        this.sent(message, destination);
        return t.send(message, destination);
      },
      sendResponse: (response, source) => {
        this.metrics?.sent(response);
        if (this.hep !== null) this.traceResponse(response, source);
        return t.sendResponse(response, source);
      },
      onMessage: (handler) => t.onMessage(handler),
      viaFor: (destination) => t.viaFor(destination),
      isReliable: (transport) => t.isReliable(transport),
    };
  }

  private received(msg: SipMessage, source: MessageSource): void {
    this.metrics?.received(msg);
    if (this.hep !== null)
      this.hep.capture(
        msg.source ?? serializeMessage(msg),
        source.transport,
        source,
        { address: source.localAddress, port: source.localPort },
        safeCallId(msg),
      );
  }

  private sent(message: SipMessage | Uint8Array, destination: Destination): void {
    if (message instanceof Uint8Array) this.metrics?.sentBytes(message);
    else this.metrics?.sent(message);
    if (this.hep === null) return;
    const bytes = message instanceof Uint8Array ? message : serializeMessage(message);
    this.hep.capture(
      bytes,
      destination.transport,
      this.local(destination),
      destination,
      message instanceof Uint8Array ? callIdOf(message) : safeCallId(message),
    );
  }

  private traceResponse(res: SipResponse, source: MessageSource | undefined): void {
    let dest: Endpoint | null = source ?? null;
    if (dest === null) {
      try {
        const via = res.topVia;
        dest = via !== undefined ? responseDestination(via) : null;
      } catch {
        dest = null;
      }
    }
    if (dest === null) return;
    this.hep!.capture(
      serializeMessage(res),
      dest.transport,
      source !== undefined && source.localPort !== 0
        ? { address: source.localAddress, port: source.localPort }
        : this.local(dest),
      dest,
      safeCallId(res),
    );
  }

  private local(dest: Endpoint): { address: string; port: number } {
    const via = this.transport.viaFor(dest);
    return { address: via.host.replace(/^\[|\]$/g, ''), port: via.port };
  }
}

function safeCallId(msg: SipMessage): string | null {
  try {
    return msg.callId;
  } catch {
    return null;
  }
}
