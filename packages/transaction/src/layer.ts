/**
 * The transaction layer (RFC 3261 §17): owns the client and server
 * transaction tables, matches every message the transport delivers, and
 * hands everything that matches no transaction to the core above.
 */
import {
  generateBranch,
  pushVia,
  type SipMessage,
  type SipRequest,
  type SipResponse,
} from '@strata/parser';
import {
  TransportError,
  type Destination,
  type MessageSource,
  type Transport,
} from '@strata/transport';
import { pino, type Logger } from 'pino';
import { TransactionError } from './errors.js';
import { InviteClientTransaction } from './invite-client.js';
import { InviteServerTransaction } from './invite-server.js';
import { clientKey, clientKeyOfResponse, inviteKeyOfCancel, serverKeyOfRequest } from './keys.js';
import { NonInviteClientTransaction } from './non-invite-client.js';
import { NonInviteServerTransaction } from './non-invite-server.js';
import { buildCancel } from './requests.js';
import { resolveTimerConfig, systemTimers, type TimerConfig, type TimerHost } from './timers.js';
import type {
  AnyTransaction,
  ClientTransaction,
  ServerTransaction,
  TransactionHost,
} from './transaction.js';
import {
  NOOP_CLIENT_USER,
  NOOP_SERVER_USER,
  type ClientTransactionUser,
  type ServerTransactionUser,
} from './user.js';

export interface TransactionLayerOptions {
  transport: Transport;
  /** clock and timers (default: Node's, looked up at call time) */
  timers?: TimerHost;
  /** T1, T2, T4 and the derived timers for this instance */
  config?: Partial<TimerConfig>;
  /** parent logger; the layer logs through `logger.child({ component: 'transaction' })` */
  logger?: Logger;
}

/** A request that matched no transaction: a new request, an ACK for a 2xx, a stray ACK. */
export type RequestHandler = (request: SipRequest, source: MessageSource) => void;
/** A response that matched no client transaction (§18.1.2: "passed to the core"). */
export type StrayResponseHandler = (response: SipResponse, source: MessageSource) => void;

export interface SendRequestOptions {
  /** branch for the Via the layer pushes (default: a fresh random one, §8.1.1.7) */
  branch?: string;
}

const ignoreRequest: RequestHandler = () => {};
const ignoreResponse: StrayResponseHandler = () => {};

export class TransactionLayer implements TransactionHost {
  readonly transport: Transport;
  readonly timers: TimerHost;
  readonly config: TimerConfig;
  readonly log: Logger;
  private readonly clients = new Map<string, ClientTransaction>();
  private readonly servers = new Map<string, ServerTransaction>();
  /** sent-by values this layer has written into Vias (loop detection, §16.3 item 4) */
  private readonly ownSentBy = new Set<string>();
  private requestHandler: RequestHandler = ignoreRequest;
  private strayHandler: StrayResponseHandler = ignoreResponse;
  private readonly unsubscribe: () => void;
  private readonly debug: boolean;

  constructor(options: TransactionLayerOptions) {
    this.transport = options.transport;
    this.timers = options.timers ?? systemTimers;
    this.config = resolveTimerConfig(options.config);
    this.log = (options.logger ?? pino({ level: 'silent' })).child({ component: 'transaction' });
    this.debug = this.log.isLevelEnabled('debug');
    this.unsubscribe = this.transport.onMessage((message, source) => this.receive(message, source));
  }

  /** The core's entry point for requests that match no transaction. */
  onRequest(handler: RequestHandler): void {
    this.requestHandler = handler;
  }

  /** Responses that match no client transaction (a proxy drops them, RFC 6026 §7.3). */
  onStrayResponse(handler: StrayResponseHandler): void {
    this.strayHandler = handler;
  }

  /** Live transactions, for metrics and leak tests. */
  get size(): { clients: number; servers: number } {
    return { clients: this.clients.size, servers: this.servers.size };
  }

  /** sent-by values ("host:port", lowercase) this layer has put into its Vias. */
  isOwnSentBy(sentBy: string): boolean {
    return this.ownSentBy.has(sentBy);
  }

  // ---- inbound ---------------------------------------------------------------

  /** Feed a received message (the transport subscription calls this; tests may too). */
  receive(message: SipMessage, source: MessageSource): void {
    try {
      if (message.isRequest) this.receiveRequest(message, source);
      else this.receiveResponse(message, source);
    } catch (err) {
      this.log.error({ err, callId: safeCallId(message) }, 'error while handling a message');
    }
  }

  private receiveRequest(request: SipRequest, source: MessageSource): void {
    const key = serverKeyOfRequest(request);
    const tx = key === null ? undefined : this.servers.get(key);
    if (tx !== undefined) {
      if (request.method !== 'ACK') {
        if (this.debug) this.log.debug({ key, state: tx.state }, 'request retransmission');
        tx.receiveRequest(request);
        return;
      }
      // ACK for a non-2xx is part of the INVITE transaction (§17.2.1); an
      // ACK the machine does not absorb (Accepted, RFC 6026) goes to the TU.
      if (tx.kind === 'invite-server' && tx.receiveAck(request)) return;
    }
    this.requestHandler(request, source);
  }

  private receiveResponse(response: SipResponse, source: MessageSource): void {
    // §17.1.3 matching
    const key = clientKeyOfResponse(response);
    const tx = key === null ? undefined : this.clients.get(key);
    if (tx !== undefined) tx.receiveResponse(response);
    else this.strayHandler(response, source);
  }

  // ---- server side -----------------------------------------------------------

  /** Start a server transaction for a request (not ACK) that matched none. */
  createServerTransaction(
    request: SipRequest,
    source: MessageSource,
    user: ServerTransactionUser = NOOP_SERVER_USER,
  ): ServerTransaction {
    if (request.method === 'ACK')
      throw new TransactionError('ACK_IS_NOT_A_TRANSACTION', 'ACK creates no server transaction');
    const key = serverKeyOfRequest(request);
    if (key === null)
      throw new TransactionError('UNKEYABLE_MESSAGE', 'request without a usable Via or CSeq');
    if (this.servers.has(key))
      throw new TransactionError('TRANSACTION_EXISTS', `server transaction ${key} exists`);
    const reliable = this.transport.isReliable(source.transport);
    const rfc2543 = key.startsWith('2543');
    const tx =
      request.method === 'INVITE'
        ? new InviteServerTransaction(this, key, request, reliable, source, rfc2543, user)
        : new NonInviteServerTransaction(this, key, request, reliable, source, rfc2543, user);
    this.servers.set(key, tx);
    tx.start();
    return tx;
  }

  /** The server transaction a request belongs to (a retransmission, an ACK), if any. */
  findServerTransaction(request: SipRequest): ServerTransaction | null {
    const key = serverKeyOfRequest(request);
    return key === null ? null : (this.servers.get(key) ?? null);
  }

  /** §9.2 / §16.10: the INVITE server transaction a CANCEL targets, if any. */
  findInviteServerTransaction(cancel: SipRequest): InviteServerTransaction | null {
    const key = inviteKeyOfCancel(cancel);
    const tx = key === null ? undefined : this.servers.get(key);
    return tx !== undefined && tx.kind === 'invite-server' ? tx : null;
  }

  // ---- client side -----------------------------------------------------------

  /**
   * Start a client transaction: push this layer's Via (with `options.branch`
   * or a fresh branch) and send. Used by the proxy for each branch and by the
   * core for requests it originates on a dialog's behalf (BYE to both legs,
   * REFER, re-INVITE; ARCHITECTURE.md §5).
   */
  sendRequest(
    request: SipRequest,
    destination: Destination,
    user: ClientTransactionUser = NOOP_CLIENT_USER,
    options?: SendRequestOptions,
  ): ClientTransaction {
    if (request.method === 'ACK')
      throw new TransactionError(
        'ACK_IS_NOT_A_TRANSACTION',
        'ACK is sent with sendStateless (ACK for 2xx) or by the INVITE client transaction',
      );
    if (!request.hasCSeq) throw new TransactionError('UNKEYABLE_MESSAGE', 'request without CSeq');
    const branch = options?.branch ?? generateBranch();
    const topVia = this.viaValue(destination, branch);
    pushVia(request, topVia);
    return this.startClient(request, destination, branch, topVia, user);
  }

  /**
   * Cancel an INVITE client transaction (§9.1): build the CANCEL and run it in
   * its own non-INVITE client transaction towards the same destination. §9.1:
   * "If no provisional response has been received, the CANCEL request MUST
   * NOT be sent"; the caller waits for one (`tx.state === 'proceeding'`).
   */
  sendCancel(
    invite: InviteClientTransaction,
    user: ClientTransactionUser = NOOP_CLIENT_USER,
    reason: string | null = null,
  ): NonInviteClientTransaction {
    if (invite.state !== 'proceeding')
      throw new TransactionError(
        'INVALID_STATE',
        `CANCEL needs a provisional response and no final one (state ${invite.state})`,
      );
    const cancel = buildCancel(invite.request, invite.topVia, reason);
    return this.startClient(
      cancel,
      invite.destination,
      invite.branch,
      invite.topVia,
      user,
    ) as NonInviteClientTransaction;
  }

  /**
   * Send a message outside any transaction (ACK for 2xx, a stateless
   * forward, a response to a request the core handles statelessly).
   * Failures are logged; the returned promise never rejects.
   */
  sendStateless(message: SipMessage | Uint8Array, destination: Destination): Promise<void> {
    return this.transport.send(message, destination).catch((err: unknown) => {
      this.log.warn({ err, destination }, 'stateless send failed');
    });
  }

  /** The Via value this layer writes for a destination and branch. */
  viaValue(destination: Destination, branch: string): string {
    const via = this.transport.viaFor(destination);
    const bare = via.host.startsWith('[') ? via.host.slice(1, -1) : via.host;
    const host = bare.includes(':') ? `[${bare}]` : bare;
    // the form sentByOf() compares: host without brackets, lowercase, port
    const sentBy = `${bare.toLowerCase()}:${via.port}`;
    if (!this.ownSentBy.has(sentBy)) this.ownSentBy.add(sentBy);
    return `SIP/2.0/${via.transport} ${host}:${via.port};branch=${branch}`;
  }

  private startClient(
    request: SipRequest,
    destination: Destination,
    branch: string,
    topVia: string,
    user: ClientTransactionUser,
  ): ClientTransaction {
    const method = request.method;
    const key = clientKey(branch, method);
    if (this.clients.has(key))
      throw new TransactionError('TRANSACTION_EXISTS', `client transaction ${key} exists`);
    const reliable = this.transport.isReliable(destination.transport);
    const tx =
      method === 'INVITE'
        ? new InviteClientTransaction(
            this,
            key,
            request,
            reliable,
            destination,
            branch,
            topVia,
            user,
          )
        : new NonInviteClientTransaction(
            this,
            key,
            request,
            reliable,
            destination,
            branch,
            topVia,
            user,
          );
    this.clients.set(key, tx);
    tx.start();
    return tx;
  }

  // ---- TransactionHost ------------------------------------------------------

  send(bytes: Buffer, destination: Destination, transaction: AnyTransaction): void {
    this.transport.send(bytes, destination).catch((err: unknown) => {
      const error =
        err instanceof TransportError
          ? err
          : new TransportError('SEND_FAILED', String(err), { cause: err });
      this.log.warn({ err: error, key: transaction.key }, 'transport failure');
      transaction.transportFailed(error);
    });
  }

  release(transaction: AnyTransaction): void {
    const map: Map<string, AnyTransaction> = transaction.isClient ? this.clients : this.servers;
    if (map.get(transaction.key) === transaction) map.delete(transaction.key);
  }

  /** Terminate every transaction and stop listening (shutdown, tests). */
  close(): void {
    this.unsubscribe();
    for (const tx of [...this.clients.values()]) tx.terminate();
    for (const tx of [...this.servers.values()]) tx.terminate();
  }
}

function safeCallId(message: SipMessage): string | undefined {
  try {
    return message.callId;
  } catch {
    return undefined;
  }
}
