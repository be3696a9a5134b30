/**
 * Transaction users (RFC 3261 §17: "the transaction user (TU) is the layer of
 * protocol processing that resides above the transaction layer"). Every
 * transaction is handed one. All callbacks are required so the hot path never
 * tests for a missing hook; extend the no-op classes below to override some.
 */
import type { SipResponse } from '@strata/parser';
import type { TransportError } from '@strata/transport';
import type { ClientTransaction, ServerTransaction } from './transaction.js';

export interface ClientTransactionUser {
  /** a response the transaction passes up (§17.1.1.2, §17.1.2.2; 2xx retransmissions in Accepted, RFC 6026) */
  onResponse(response: SipResponse, transaction: ClientTransaction): void;
  /** Timer B or F fired: the TU treats it as a 408 (Request Timeout) (§8.1.3.1) */
  onTimeout(transaction: ClientTransaction): void;
  /** the transport failed: the TU treats it as a 503 (Service Unavailable) (§8.1.3.1, §16.9) */
  onTransportError(error: TransportError, transaction: ClientTransaction): void;
  /** the transaction reached Terminated and released its key and timers */
  onTerminated(transaction: ClientTransaction): void;
}

export interface ServerTransactionUser {
  /** Timer H fired: the ACK for a non-2xx final response never came (§17.2.1) */
  onTimeout(transaction: ServerTransaction): void;
  /** a response could not be sent (§17.2.4) */
  onTransportError(error: TransportError, transaction: ServerTransaction): void;
  /** the transaction reached Terminated and released its key and timers */
  onTerminated(transaction: ServerTransaction): void;
}

/** A client TU that ignores everything; extend it and override what you need. */
export class NoopClientUser implements ClientTransactionUser {
  onResponse(_response: SipResponse, _transaction: ClientTransaction): void {}
  onTimeout(_transaction: ClientTransaction): void {}
  onTransportError(_error: TransportError, _transaction: ClientTransaction): void {}
  onTerminated(_transaction: ClientTransaction): void {}
}

/** A server TU that ignores everything; extend it and override what you need. */
export class NoopServerUser implements ServerTransactionUser {
  onTimeout(_transaction: ServerTransaction): void {}
  onTransportError(_error: TransportError, _transaction: ServerTransaction): void {}
  onTerminated(_transaction: ServerTransaction): void {}
}

export const NOOP_CLIENT_USER: ClientTransactionUser = new NoopClientUser();
export const NOOP_SERVER_USER: ServerTransactionUser = new NoopServerUser();
