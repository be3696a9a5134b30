/**
 * Non-INVITE client transaction, RFC 3261 §17.1.2.
 *
 *                          |Request from TU
 *                          |send request
 *      Timer E             V
 *      send request  +-----------+
 *          +---------|           |-------------------+
 *          |         |  Trying   |  Timer F          |
 *          +-------->|           |  or Transport Err.|
 *                    +-----------+  inform TU        |
 *       200-699         |  |                         |
 *       resp. to TU     |  |1xx                      |
 *       +---------------+  |resp. to TU              |
 *       |                  |                         |
 *       |   Timer E        V       Timer F           |
 *       |   send req +-----------+ or Transport Err. |
 *       |  +---------|           | inform TU         |
 *       |  |         |Proceeding |------------------>|
 *       |  +-------->|           |-----+             |
 *       |            +-----------+     |1xx          |
 *       |              |      ^        |resp to TU   |
 *       | 200-699      |      +--------+             |
 *       | resp. to TU  |                             |
 *       |              |                             |
 *       |              V                             |
 *       |            +-----------+                   |
 *       |            |           |                   |
 *       |            | Completed |                   |
 *       |            |           |                   |
 *       |            +-----------+                   |
 *       |              ^   |                         |
 *       |              |   | Timer K                 |
 *       +--------------+   | -                       |
 *                          |                         |
 *                          V                         |
 *    NOTE:           +-----------+                   |
 *                    |           |                   |
 *    transitions     | Terminated|<------------------+
 *    labeled with    |           |
 *    the event       +-----------+
 *    over the action
 *    to take
 */
import { serializeMessage, type SipRequest, type SipResponse } from '@strata/parser';
import type { Destination, TransportError } from '@strata/transport';
import type { TimerHandle } from './timers.js';
import { TransactionBase, type TransactionHost } from './transaction.js';
import type { ClientTransactionUser } from './user.js';

export type NonInviteClientState = 'trying' | 'proceeding' | 'completed' | 'terminated';

const PROVISIONAL = 0;
const FINAL = 1;
const TIMER_E = 2;
const TIMER_F = 3;
const TIMER_K = 4;
const TRANSPORT_ERROR = 5;
type Input = 0 | 1 | 2 | 3 | 4 | 5;

export class NonInviteClientTransaction extends TransactionBase {
  readonly kind = 'non-invite-client' as const;
  readonly isInvite = false as const;
  readonly isClient = true as const;
  readonly destination: Destination;
  readonly branch: string;
  readonly topVia: string;
  user: ClientTransactionUser;
  private _state: NonInviteClientState = 'trying';
  private readonly bytes: Buffer;
  private lastError: TransportError | null = null;
  private timerE: TimerHandle | null = null;
  private intervalE: number;
  private timerF: TimerHandle | null = null;
  private timerK: TimerHandle | null = null;
  private readonly fireE: () => void;
  private readonly fireF: () => void;
  private readonly fireK: () => void;

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
    this.intervalE = host.config.t1;
    this.fireE = () => this.input(TIMER_E, null);
    this.fireF = () => this.input(TIMER_F, null);
    this.fireK = () => this.input(TIMER_K, null);
  }

  get state(): NonInviteClientState {
    return this._state;
  }

  /**
   * §17.1.2.2: "The "Trying" state is entered when the TU initiates a new
   * client transaction with a request. When entering this state, the client
   * transaction SHOULD set timer F to fire in 64*T1 seconds. The request MUST
   * be passed to the transport layer for transmission. If an unreliable
   * transport is in use, the client transaction MUST set timer E to fire in
   * T1 seconds."
   */
  start(): void {
    this.timerF = this.startTimer(this.fireF, this.host.config.timeout64);
    this.host.send(this.bytes, this.destination, this);
    if (!this.reliable) this.timerE = this.startTimer(this.fireE, this.intervalE);
  }

  receiveResponse(response: SipResponse): void {
    this.input(response.status < 200 ? PROVISIONAL : FINAL, response);
  }

  transportFailed(error: TransportError): void {
    this.lastError = error;
    this.input(TRANSPORT_ERROR, null);
  }

  terminate(): void {
    if (this._state !== 'terminated') this.toTerminated();
  }

  private input(input: Input, response: SipResponse | null): void {
    switch (this._state) {
      case 'trying':
        return this.trying(input, response);
      case 'proceeding':
        return this.proceeding(input, response);
      case 'completed':
        return this.completed(input);
      case 'terminated':
        return;
    }
  }

  private trying(input: Input, response: SipResponse | null): void {
    switch (input) {
      case TIMER_E:
        // "If timer E fires while still in this state, the timer is reset,
        // but this time with a value of MIN(2*T1, T2). When the timer fires
        // again, it is reset to a MIN(4*T1, T2)."
        this.intervalE = Math.min(this.intervalE * 2, this.host.config.t2);
        this.host.send(this.bytes, this.destination, this);
        this.timerE = this.startTimer(this.fireE, this.intervalE);
        return;
      case PROVISIONAL:
        // "If a provisional response is received while in the "Trying"
        // state, the response MUST be passed to the TU, and then the client
        // transaction SHOULD move to the "Proceeding" state."
        this._state = 'proceeding';
        this.user.onResponse(response!, this);
        return;
      default:
        return this.common(input, response);
    }
  }

  private proceeding(input: Input, response: SipResponse | null): void {
    switch (input) {
      case TIMER_E:
        // "If Timer E fires while in the "Proceeding" state, the request MUST
        // be passed to the transport layer for retransmission, and Timer E
        // MUST be reset with a value of T2 seconds."
        this.intervalE = this.host.config.t2;
        this.host.send(this.bytes, this.destination, this);
        this.timerE = this.startTimer(this.fireE, this.intervalE);
        return;
      case PROVISIONAL:
        this.user.onResponse(response!, this);
        return;
      default:
        return this.common(input, response);
    }
  }

  /** Transitions Trying and Proceeding share. */
  private common(input: Input, response: SipResponse | null): void {
    switch (input) {
      case FINAL:
        // "If a final response (status codes 200-699) is received while in
        // the "Trying" [or "Proceeding"] state, the response MUST be passed to
        // the TU, and the client transaction MUST transition to the
        // "Completed" state." "Once the client transaction enters the
        // "Completed" state, it MUST set Timer K to fire in T4 seconds for
        // unreliable transports, and zero seconds for reliable transports."
        this.timerE = this.stopTimer(this.timerE);
        this.timerF = this.stopTimer(this.timerF);
        this._state = 'completed';
        this.user.onResponse(response!, this);
        if (this._state !== 'completed') return;
        if (this.reliable) this.toTerminated();
        else this.timerK = this.startTimer(this.fireK, this.host.config.t4);
        return;
      case TIMER_F:
        // "If Timer F fires while the client transaction is still in the
        // "Trying" [or "Proceeding"] state, the client transaction SHOULD
        // inform the TU about the timeout, and then it SHOULD enter the
        // "Terminated" state."
        this.timerF = null;
        this.user.onTimeout(this);
        this.toTerminated();
        return;
      case TRANSPORT_ERROR:
        // "If a transport error occurs while in the "Trying" [or
        // "Proceeding"] state, the client transaction SHOULD inform the TU
        // about this error, and then it SHOULD enter the "Terminated" state."
        this.user.onTransportError(this.lastError!, this);
        this.toTerminated();
        return;
      default:
        return;
    }
  }

  private completed(input: Input): void {
    // "The "Completed" state exists to buffer any additional response
    // retransmissions that may be received (which is why the client
    // transaction remains there only for unreliable transports)."
    if (input === TIMER_K) {
      // "If Timer K fires while in this state, the client transaction MUST
      // transition to the "Terminated" state."
      this.timerK = null;
      this.toTerminated();
    }
  }

  /** "Once the transaction is in the terminated state, it MUST be destroyed immediately." */
  private toTerminated(): void {
    this._state = 'terminated';
    this.timerE = this.stopTimer(this.timerE);
    this.timerF = this.stopTimer(this.timerF);
    this.timerK = this.stopTimer(this.timerK);
    this.host.release(this);
    this.user.onTerminated(this);
  }
}
