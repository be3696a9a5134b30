/**
 * What the four state machines share: the host they run in (the layer), the
 * request that created them, their key and their reliability. Each subclass
 * sets every field in its constructor so all instances of a kind share one
 * hidden class (ARCHITECTURE.md §3 item 6).
 */
import type { SipRequest } from '@strata/parser';
import type { Destination, TransportError } from '@strata/transport';
import type { Logger } from 'pino';
import type { InviteClientTransaction } from './invite-client.js';
import type { InviteServerTransaction } from './invite-server.js';
import type { NonInviteClientTransaction } from './non-invite-client.js';
import type { NonInviteServerTransaction } from './non-invite-server.js';
import type { TimerConfig, TimerHandle, TimerHost } from './timers.js';

export type ClientTransaction = InviteClientTransaction | NonInviteClientTransaction;
export type ServerTransaction = InviteServerTransaction | NonInviteServerTransaction;
export type AnyTransaction = ClientTransaction | ServerTransaction;

/** The services a transaction needs from its layer. */
export interface TransactionHost {
  readonly timers: TimerHost;
  readonly config: TimerConfig;
  readonly log: Logger;
  /** send bytes; a failure comes back through `transaction.transportFailed` */
  send(bytes: Buffer, destination: Destination, transaction: AnyTransaction): void;
  /** forget the transaction (remove its key); called once, on Terminated */
  release(transaction: AnyTransaction): void;
}

export abstract class TransactionBase {
  /** the matching key (see keys.ts) */
  readonly key: string;
  /** the request that created the transaction */
  readonly request: SipRequest;
  /** reliable transports turn off retransmissions and zero the wait timers */
  readonly reliable: boolean;
  protected readonly host: TransactionHost;

  constructor(host: TransactionHost, key: string, request: SipRequest, reliable: boolean) {
    this.host = host;
    this.key = key;
    this.request = request;
    this.reliable = reliable;
  }

  abstract get state(): string;

  get terminated(): boolean {
    return this.state === 'terminated';
  }

  /** the transport rejected a message this transaction sent */
  abstract transportFailed(error: TransportError): void;

  protected startTimer(callback: () => void, ms: number): TimerHandle {
    return this.host.timers.setTimeout(callback, ms);
  }

  protected stopTimer(handle: TimerHandle | null): null {
    if (handle !== null) this.host.timers.clearTimeout(handle);
    return null;
  }
}
