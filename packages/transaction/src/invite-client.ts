/**
 * INVITE client transaction, RFC 3261 §17.1.1 as updated by RFC 6026 §8.4
 * (the Accepted state and Timer M).
 *
 *                          |INVITE from TU
 *        Timer A fires     |INVITE sent      Timer B fires
 *        Reset A,          V                 or Transport Err.
 *        INVITE sent +-----------+           inform TU
 *          +---------|           |--------------------------+
 *          |         |  Calling  |                          |
 *          +-------->|           |-----------+              |
 * 300-699            +-----------+ 2xx       |              |
 * ACK sent              |  |       2xx to TU |              |
 * resp. to TU           |  |1xx              |              |
 *  +--------------------+  |1xx to TU        |              |
 *  |                       V                 |              |
 *  |      1xx to TU  +-----------+           |              |
 *  |      +----------|           |           |              |
 *  |      |          |Proceeding |---------->+              |
 *  |      +--------->|           | 2xx       |              |
 *  |                 +-----------+ 2xx to TU |              |
 *  |       300-699     |                     V              |
 *  |       ACK sent,   |            +-----------+           |
 *  |       resp. to TU |            |           | 2xx to TU |
 *  +-------------------+            | Accepted  |---+       |
 *  |                                |           |<--+       |
 *  V  300-699 ACK sent              +-----------+           |
 * +-----------+  Transport Err.           | Timer M fires   |
 * |           |  inform TU                |                 |
 * | Completed |---------------------------+                 |
 * |           |  Timer D fires            V                 |
 * +-----------+----------------------> Terminated <---------+
 */
import { serializeMessage, type SipRequest, type SipResponse } from '@strata/parser';
import type { Destination, TransportError } from '@strata/transport';
import { buildAck } from './requests.js';
import type { TimerHandle } from './timers.js';
import { TransactionBase, type TransactionHost } from './transaction.js';
import type { ClientTransactionUser } from './user.js';

export type InviteClientState = 'calling' | 'proceeding' | 'completed' | 'accepted' | 'terminated';

/** inputs of the machine */
const PROVISIONAL = 0;
const SUCCESS = 1;
const FAILURE = 2;
const TIMER_A = 3;
const TIMER_B = 4;
const TIMER_D = 5;
const TIMER_M = 6;
const TRANSPORT_ERROR = 7;
type Input = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7;

export class InviteClientTransaction extends TransactionBase {
  readonly kind = 'invite-client' as const;
  readonly isInvite = true as const;
  readonly isClient = true as const;
  readonly destination: Destination;
  /** the branch of the Via the transaction's request carries */
  readonly branch: string;
  /** that Via, as written (ACK and CANCEL repeat it) */
  readonly topVia: string;
  user: ClientTransactionUser;
  private _state: InviteClientState = 'calling';
  private readonly bytes: Buffer;
  private ackBytes: Buffer | null = null;
  /** a provisional response arrived (a CANCEL may be sent, §9.1) */
  private _provisionalSeen = false;
  private lastError: TransportError | null = null;
  private timerA: TimerHandle | null = null;
  private intervalA: number;
  private timerB: TimerHandle | null = null;
  private timerD: TimerHandle | null = null;
  private timerM: TimerHandle | null = null;
  private readonly fireA: () => void;
  private readonly fireB: () => void;
  private readonly fireD: () => void;
  private readonly fireM: () => void;

  constructor(
    host: TransactionHost,
    key: string,
    request: SipRequest,
    reliable: boolean,
    destination: Destination,
    branch: string,
    topVia: string,
    user: ClientTransactionUser,
  ) {
    super(host, key, request, reliable);
    this.destination = destination;
    this.branch = branch;
    this.topVia = topVia;
    this.user = user;
    this.bytes = serializeMessage(request);
    this.intervalA = host.config.t1;
    this.fireA = () => this.input(TIMER_A, null);
    this.fireB = () => this.input(TIMER_B, null);
    this.fireD = () => this.input(TIMER_D, null);
    this.fireM = () => this.input(TIMER_M, null);
  }

  get state(): InviteClientState {
    return this._state;
  }

  get provisionalSeen(): boolean {
    return this._provisionalSeen;
  }

  /**
   * §17.1.1.2: "The initial state, "calling", MUST be entered when the TU
   * initiates a new client transaction with an INVITE request. The client
   * transaction MUST pass the request to the transport layer for
   * transmission. If an unreliable transport is being used, the client
   * transaction MUST start timer A with a value of T1. [...] For any
   * transport, the client transaction MUST start timer B with a value of
   * 64*T1 seconds."
   */
  start(): void {
    this.host.send(this.bytes, this.destination, this);
    if (!this.reliable) this.timerA = this.startTimer(this.fireA, this.intervalA);
    if (this._state === 'calling')
      this.timerB = this.startTimer(this.fireB, this.host.config.timeout64);
  }

  receiveResponse(response: SipResponse): void {
    const s = response.status;
    this.input(s < 200 ? PROVISIONAL : s < 300 ? SUCCESS : FAILURE, response);
  }

  transportFailed(error: TransportError): void {
    this.lastError = error;
    this.input(TRANSPORT_ERROR, null);
  }

  /** Stop now (e.g. §9.1: no final response 64·T1 after a CANCEL). No TU callback but onTerminated. */
  terminate(): void {
    if (this._state !== 'terminated') this.toTerminated();
  }

  private input(input: Input, response: SipResponse | null): void {
    switch (this._state) {
      case 'calling':
        return this.calling(input, response);
      case 'proceeding':
        return this.proceeding(input, response);
      case 'completed':
        return this.completed(input, response);
      case 'accepted':
        return this.accepted(input, response);
      case 'terminated':
        return;
    }
  }

  private calling(input: Input, response: SipResponse | null): void {
    switch (input) {
      case TIMER_A:
        // "When timer A fires, the client transaction MUST retransmit the
        // request by passing it to the transport layer, and MUST reset the
        // timer with a value of 2*T1."
        this.intervalA *= 2;
        this.host.send(this.bytes, this.destination, this);
        this.timerA = this.startTimer(this.fireA, this.intervalA);
        return;
      case TIMER_B:
        // "If the client transaction is still in the "Calling" state when
        // timer B fires, the client transaction SHOULD inform the TU that a
        // timeout has occurred. The client transaction MUST NOT generate an
        // ACK."
        this.timerB = null;
        this.user.onTimeout(this);
        this.toTerminated();
        return;
      case PROVISIONAL:
        // "If the client transaction receives a provisional response while in
        // the "Calling" state, it transitions to the "Proceeding" state. [...]
        // the provisional response MUST be passed to the TU."
        this.timerA = this.stopTimer(this.timerA);
        this.timerB = this.stopTimer(this.timerB);
        this._state = 'proceeding';
        this._provisionalSeen = true;
        this.user.onResponse(response!, this);
        return;
      default:
        return this.common(input, response);
    }
  }

  private proceeding(input: Input, response: SipResponse | null): void {
    switch (input) {
      case PROVISIONAL:
        // "Any further provisional responses MUST be passed up to the TU
        // while in the "Proceeding" state."
        this.user.onResponse(response!, this);
        return;
      default:
        return this.common(input, response);
    }
  }

  /** Transitions Calling and Proceeding share. */
  private common(input: Input, response: SipResponse | null): void {
    switch (input) {
      case SUCCESS:
        // RFC 6026 §8.4: "If a 2xx response is received while the client
        // INVITE state machine is in the "Calling" or "Proceeding" states, it
        // MUST transition to the "Accepted" state, pass the 2xx response to
        // the TU, and set Timer M to 64*T1."
        this.timerA = this.stopTimer(this.timerA);
        this.timerB = this.stopTimer(this.timerB);
        this._state = 'accepted';
        this.timerM = this.startTimer(this.fireM, this.host.config.timeout64);
        this.user.onResponse(response!, this);
        return;
      case FAILURE:
        // "When in either the "Calling" or "Proceeding" states, reception of
        // a response with status code from 300-699 MUST cause the client
        // transaction to transition to "Completed". The client transaction
        // MUST pass the received response up to the TU, and the client
        // transaction MUST generate an ACK request, even if the transport is
        // reliable [...]. The client transaction SHOULD start timer D when it
        // enters the "Completed" state, with a value of at least 32 seconds
        // for unreliable transports, and a value of zero seconds for reliable
        // transports."
        this.timerA = this.stopTimer(this.timerA);
        this.timerB = this.stopTimer(this.timerB);
        this._state = 'completed';
        this.ackBytes = serializeMessage(buildAck(this.request, this.topVia, response!));
        this.host.send(this.ackBytes, this.destination, this);
        this.user.onResponse(response!, this);
        if (this._state !== 'completed') return; // the send failed synchronously
        if (this.reliable) this.toTerminated();
        else this.timerD = this.startTimer(this.fireD, this.host.config.timerD);
        return;
      case TRANSPORT_ERROR:
        // §17.1.4: "the client transaction SHOULD inform the TU that a
        // transport failure has occurred, and the client transaction SHOULD
        // transition directly to the "Terminated" state."
        this.user.onTransportError(this.lastError!, this);
        this.toTerminated();
        return;
      default:
        return;
    }
  }

  private completed(input: Input, _response: SipResponse | null): void {
    switch (input) {
      case FAILURE:
        // "Any retransmissions of the final response that are received while
        // in the "Completed" state MUST cause the ACK to be re-passed to the
        // transport layer for retransmission, but the newly received response
        // MUST NOT be passed up to the TU."
        this.host.send(this.ackBytes!, this.destination, this);
        return;
      case TIMER_D:
        // "If timer D fires while the client transaction is in the
        // "Completed" state, the client transaction MUST move to the
        // terminated state."
        this.timerD = null;
        this.toTerminated();
        return;
      case TRANSPORT_ERROR:
        // RFC 6026 §8.4 diagram: Completed --Transport Err., inform TU--> Terminated
        this.user.onTransportError(this.lastError!, this);
        this.toTerminated();
        return;
      default:
        return;
    }
  }

  private accepted(input: Input, response: SipResponse | null): void {
    switch (input) {
      case SUCCESS:
        // RFC 6026 §8.4: "any 2xx responses that match this client
        // transaction and that are received while in the "Accepted" state
        // MUST be passed up to the TU. The client transaction MUST NOT
        // generate an ACK to the 2xx response"
        this.user.onResponse(response!, this);
        return;
      case TIMER_M:
        // "If Timer M fires and the state machine is in the "Accepted"
        // state, the machine MUST transition to the "Terminated" state."
        this.timerM = null;
        this.toTerminated();
        return;
      default:
        return;
    }
  }

  /**
   * §17.1.1.2: "Once the transaction is in the "Terminated" state, it MUST
   * be destroyed immediately."
   */
  private toTerminated(): void {
    this._state = 'terminated';
    this.timerA = this.stopTimer(this.timerA);
    this.timerB = this.stopTimer(this.timerB);
    this.timerD = this.stopTimer(this.timerD);
    this.timerM = this.stopTimer(this.timerM);
    this.ackBytes = null;
    this.host.release(this);
    this.user.onTerminated(this);
  }
}
