/**
 * INVITE server transaction, RFC 3261 §17.2.1 as updated by RFC 6026 §8.7
 * (the Accepted state and Timer L).
 *
 *                               |INVITE
 *                               |pass INV to TU
 *            INVITE             V send 100 if TU won't in 200 ms
 *            send response+-------------+
 *                +--------|             |--------+ 101-199 from TU
 *                |        |  Proceeding |        | send response
 *                +------->|             |<-------+
 *                         |             |          Transport Err.
 *                         |             |          Inform TU
 *                         |             |--------------->+
 *                         +-------------+                |
 *            300-699 from TU |     |2xx from TU          |
 *            send response   |     |send response        |
 *             +--------------+     +------------+        |
 *             |                                 |        |
 * INVITE      V          Timer G fires          |        |
 * send response+-----------+ send response      |        |
 *     +--------|           |--------+           |        |
 *     |        | Completed |        |           |        |
 *     +------->|           |<-------+           |        |
 *              +-----------+                    |        |
 *                |     |                        |        |
 *            ACK |     |                        |        |
 *            -   |     +------------------------------------>+
 *                |        Timer H fires         |        |
 *                V        or Transport Err.     V        |
 *              +-----------+  Inform TU   +-----------+  |
 *              |           |              |           |<-+ 2xx from TU
 *              | Confirmed |              | Accepted  |    send response
 *              |           |              |           |--+ ACK (to TU)
 *              +-----------+              +-----------+<-+ INVITE: absorb
 *                |                              |
 *                |Timer I fires                 |Timer L fires
 *                V                              V
 *              +-------------------------------------+
 *              |              Terminated             |
 *              +-------------------------------------+
 */
import {
  createResponse,
  serializeMessage,
  type SipRequest,
  type SipResponse,
} from '@strata/parser';
import type { Destination, MessageSource, TransportError } from '@strata/transport';
import { TransactionError } from './errors.js';
import type { TimerHandle } from './timers.js';
import { TransactionBase, type TransactionHost } from './transaction.js';
import type { ServerTransactionUser } from './user.js';

export type InviteServerState =
  'proceeding' | 'completed' | 'confirmed' | 'accepted' | 'terminated';

const REQUEST = 0;
const ACK = 1;
const TU_PROVISIONAL = 2;
const TU_SUCCESS = 3;
const TU_FAILURE = 4;
const TIMER_TRYING = 5;
const TIMER_G = 6;
const TIMER_H = 7;
const TIMER_I = 8;
const TIMER_L = 9;
const TRANSPORT_ERROR = 10;
type Input = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10;

/** What became of an input: consumed by the machine, or not (ACK for 2xx goes up, RFC 6026). */
const CONSUMED = true;
const NOT_CONSUMED = false;

export class InviteServerTransaction extends TransactionBase {
  readonly kind = 'invite-server' as const;
  readonly isInvite = true as const;
  readonly isClient = false as const;
  readonly source: MessageSource;
  /** where responses go (§18.2.2: the connection, else the source address and port) */
  readonly responseDestination: Destination;
  /** matched with the RFC 2543 rules (no magic cookie) */
  readonly rfc2543: boolean;
  user: ServerTransactionUser;
  private _state: InviteServerState = 'proceeding';
  private lastResponseBytes: Buffer | null = null;
  private _lastStatus = 0;
  /** To tag of the final response: a 2543 ACK must carry it (§17.2.3) */
  private finalToTag: string | null = null;
  private lastError: TransportError | null = null;
  private pending: SipResponse | null = null;
  private timerTrying: TimerHandle | null = null;
  private timerG: TimerHandle | null = null;
  private intervalG: number;
  private timerH: TimerHandle | null = null;
  private timerI: TimerHandle | null = null;
  private timerL: TimerHandle | null = null;
  private readonly fireTrying: () => void;
  private readonly fireG: () => void;
  private readonly fireH: () => void;
  private readonly fireI: () => void;
  private readonly fireL: () => void;

  constructor(
    host: TransactionHost,
    key: string,
    request: SipRequest,
    reliable: boolean,
    source: MessageSource,
    rfc2543: boolean,
    user: ServerTransactionUser,
  ) {
    super(host, key, request, reliable);
    this.source = source;
    this.responseDestination = {
      transport: source.transport,
      address: source.address,
      port: source.port,
      connectionId: source.connectionId,
    };
    this.rfc2543 = rfc2543;
    this.user = user;
    this.intervalG = host.config.t1;
    this.fireTrying = () => this.input(TIMER_TRYING);
    this.fireG = () => this.input(TIMER_G);
    this.fireH = () => this.input(TIMER_H);
    this.fireI = () => this.input(TIMER_I);
    this.fireL = () => this.input(TIMER_L);
  }

  get state(): InviteServerState {
    return this._state;
  }

  /** status of the last response sent (0 before any) */
  get lastStatus(): number {
    return this._lastStatus;
  }

  /**
   * §17.2.1: "When a server transaction is constructed for a request, it
   * enters the "Proceeding" state. The server transaction MUST generate a
   * 100 (Trying) response unless it knows that the TU will generate a
   * provisional or final response within 200 ms".
   */
  start(): void {
    this.timerTrying = this.startTimer(this.fireTrying, this.host.config.tryingDelay);
  }

  /**
   * Send a response from the TU. Returns false when the state machine does
   * not take it (e.g. a 3xx after a 2xx, or any response once Completed).
   */
  respond(response: SipResponse): boolean {
    if (response.status < 100 || response.status > 699)
      throw new TransactionError('BAD_RESPONSE', `status ${response.status} out of range`);
    const s = response.status;
    this.pending = response;
    const taken = this.input(s < 200 ? TU_PROVISIONAL : s < 300 ? TU_SUCCESS : TU_FAILURE);
    this.pending = null;
    return taken;
  }

  /** A retransmission of the INVITE. */
  receiveRequest(_request: SipRequest): void {
    this.input(REQUEST);
  }

  /**
   * An ACK whose key matched. Returns true when the transaction absorbed it;
   * false means it belongs to the TU (ACK for a 2xx, RFC 6026 §8.7).
   */
  receiveAck(ack: SipRequest): boolean {
    if (this.rfc2543 && this.finalToTag !== null && ack.toTag !== this.finalToTag) return false;
    return this.input(ACK);
  }

  transportFailed(error: TransportError): void {
    this.lastError = error;
    this.input(TRANSPORT_ERROR);
  }

  terminate(): void {
    if (this._state !== 'terminated') this.toTerminated();
  }

  private input(input: Input): boolean {
    switch (this._state) {
      case 'proceeding':
        return this.proceeding(input);
      case 'completed':
        return this.completed(input);
      case 'confirmed':
        return this.confirmed(input);
      case 'accepted':
        return this.accepted(input);
      case 'terminated':
        return NOT_CONSUMED;
    }
  }

  private proceeding(input: Input): boolean {
    switch (input) {
      case TIMER_TRYING:
        // "The server transaction MUST generate a 100 (Trying) response
        // unless it knows that the TU will generate a provisional or final
        // response within 200 ms"
        this.timerTrying = null;
        this.sendResponse(createResponse(this.request, 100));
        return CONSUMED;
      case REQUEST:
        // "If a request retransmission is received while in the "Proceeding"
        // state, the most recent provisional response that was received from
        // the TU MUST be passed to the transport layer for retransmission."
        if (this.lastResponseBytes !== null) this.resend();
        return CONSUMED;
      case TU_PROVISIONAL:
        // "The TU passes any number of provisional responses to the server
        // transaction. So long as the server transaction is in the
        // "Proceeding" state, each of these MUST be passed to the transport
        // layer for transmission."
        this.timerTrying = this.stopTimer(this.timerTrying);
        this.sendResponse(this.pending!);
        return CONSUMED;
      case TU_SUCCESS:
        // RFC 6026 §8.7: "If, while in the "Proceeding" state, the TU passes
        // a 2xx response to the server transaction, the server transaction
        // MUST pass this response to the transport layer for transmission
        // [...]. The server transaction MUST then transition to the
        // "Accepted" state." and "Timer L [...] MUST be set to 64*T1 on
        // entering the Accepted state."
        this.timerTrying = this.stopTimer(this.timerTrying);
        this._state = 'accepted';
        this.timerL = this.startTimer(this.fireL, this.host.config.timeout64);
        this.sendResponse(this.pending!);
        return CONSUMED;
      case TU_FAILURE:
        // "While in the "Proceeding" state, if the TU passes a response with
        // status code from 300 to 699 to the server transaction, the response
        // MUST be passed to the transport layer for transmission, and the
        // state machine MUST enter the "Completed" state. For unreliable
        // transports, timer G is set to fire in T1 seconds, and is not set to
        // fire for reliable transports. [...] When the "Completed" state is
        // entered, timer H MUST be set to fire in 64*T1 seconds for all
        // transports."
        this.timerTrying = this.stopTimer(this.timerTrying);
        this._state = 'completed';
        this.finalToTag = this.pending!.toTag;
        if (!this.reliable) this.timerG = this.startTimer(this.fireG, this.intervalG);
        this.timerH = this.startTimer(this.fireH, this.host.config.timeout64);
        this.sendResponse(this.pending!);
        return CONSUMED;
      case TRANSPORT_ERROR:
        return this.failTransport();
      default:
        return NOT_CONSUMED;
    }
  }

  private completed(input: Input): boolean {
    switch (input) {
      case REQUEST:
        // "Furthermore, while in the "Completed" state, if a request
        // retransmission is received, the server SHOULD pass the response to
        // the transport for retransmission."
        this.resend();
        return CONSUMED;
      case TIMER_G:
        // "If timer G fires, the response is passed to the transport layer
        // once more for retransmission, and timer G is set to fire in
        // MIN(2*T1, T2) seconds."
        this.intervalG = Math.min(this.intervalG * 2, this.host.config.t2);
        this.timerG = this.startTimer(this.fireG, this.intervalG);
        this.resend();
        return CONSUMED;
      case ACK:
        // "If an ACK is received while the server transaction is in the
        // "Completed" state, the server transaction MUST transition to the
        // "Confirmed" state. As Timer G is ignored in this state, any
        // retransmissions of the response will cease." "When this state is
        // entered, timer I is set to fire in T4 seconds for unreliable
        // transports, and zero seconds for reliable transports."
        this.timerG = this.stopTimer(this.timerG);
        this.timerH = this.stopTimer(this.timerH);
        this._state = 'confirmed';
        if (this.reliable) this.toTerminated();
        else this.timerI = this.startTimer(this.fireI, this.host.config.t4);
        return CONSUMED;
      case TIMER_H:
        // "If timer H fires while in the "Completed" state, it implies that
        // the ACK was never received. In this case, the server transaction
        // MUST transition to the "Terminated" state, and MUST indicate to the
        // TU that a transaction failure has occurred."
        this.timerH = null;
        this.user.onTimeout(this);
        this.toTerminated();
        return CONSUMED;
      case TRANSPORT_ERROR:
        return this.failTransport();
      default:
        return NOT_CONSUMED;
    }
  }

  private confirmed(input: Input): boolean {
    switch (input) {
      case ACK:
      case REQUEST:
        // "The purpose of the "Confirmed" state is to absorb any additional
        // ACK messages that arrive, triggered from retransmissions of the
        // final response."
        return CONSUMED;
      case TIMER_I:
        // "Once timer I fires, the server MUST transition to the
        // "Terminated" state."
        this.timerI = null;
        this.toTerminated();
        return CONSUMED;
      default:
        return NOT_CONSUMED;
    }
  }

  private accepted(input: Input): boolean {
    switch (input) {
      case TU_SUCCESS:
        // RFC 6026 §8.7: "Any retransmission of the 2xx response passed from
        // the TU to the transaction while in the "Accepted" state MUST be
        // passed to the transport layer for transmission."
        this.sendResponse(this.pending!);
        return CONSUMED;
      case REQUEST:
        // "Any retransmissions of the INVITE received while in the
        // "Accepted" state MUST be absorbed by the transaction and MUST NOT
        // be passed up to the TU" (and no 2xx is retransmitted on our own:
        // "The server transaction MUST NOT generate 2xx retransmissions on
        // its own.")
        return CONSUMED;
      case ACK:
        // "If an ACK is received while the INVITE server transaction is in
        // the "Accepted" state, then the ACK must be passed up to the TU."
        return NOT_CONSUMED;
      case TIMER_L:
        // "If Timer L fires while the INVITE server transaction is in the
        // "Accepted" state, the transaction MUST transition to the
        // "Terminated" state."
        this.timerL = null;
        this.toTerminated();
        return CONSUMED;
      case TRANSPORT_ERROR:
        // the 2xx could not be sent; the TU (proxy core) decides; the state stays
        this.user.onTransportError(this.lastError!, this);
        return CONSUMED;
      default:
        return NOT_CONSUMED;
    }
  }

  /**
   * §17.2.4: "if the transport layer indicates a failure [...] the server
   * transaction SHOULD inform the TU that a failure has occurred, and SHOULD
   * transition to the terminated state."
   */
  private failTransport(): boolean {
    this.user.onTransportError(this.lastError!, this);
    this.toTerminated();
    return CONSUMED;
  }

  private sendResponse(response: SipResponse): void {
    this._lastStatus = response.status;
    this.lastResponseBytes = serializeMessage(response);
    this.host.send(this.lastResponseBytes, this.responseDestination, this);
  }

  private resend(): void {
    this.host.send(this.lastResponseBytes!, this.responseDestination, this);
  }

  private toTerminated(): void {
    this._state = 'terminated';
    this.timerTrying = this.stopTimer(this.timerTrying);
    this.timerG = this.stopTimer(this.timerG);
    this.timerH = this.stopTimer(this.timerH);
    this.timerI = this.stopTimer(this.timerI);
    this.timerL = this.stopTimer(this.timerL);
    this.lastResponseBytes = null;
    this.host.release(this);
    this.user.onTerminated(this);
  }
}
