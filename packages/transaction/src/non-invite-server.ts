/**
 * Non-INVITE server transaction, RFC 3261 §17.2.2.
 *
 *                           |Request received
 *                           |pass to TU
 *                           V
 *                     +-----------+
 *                     |           |
 *                     | Trying    |-------------+
 *                     |           |             |
 *                     +-----------+             |200-699 from TU
 *                           |                   |send response
 *                           |1xx from TU        |
 *                           |send response      |
 *                           |                   |
 *        Request            V      1xx from TU  |
 *        send response+-----------+send response|
 *            +--------|           |--------+    |
 *            |        | Proceeding|        |    |
 *            +------->|           |<-------+    |
 *     +<--------------|           |             |
 *     |Trnsprt Err    +-----------+             |
 *     |Inform TU            |                   |
 *     |                     |                   |
 *     |                     |200-699 from TU    |
 *     |                     |send response      |
 *     |  Request            V                   |
 *     |  send response+-----------+             |
 *     |      +--------|           |             |
 *     |      |        | Completed |<------------+
 *     |      +------->|           |
 *     +<--------------|           |
 *     |Trnsprt Err    +-----------+
 *     |Inform TU            |
 *     |                     |Timer J fires
 *     |                     |-
 *     |                     |
 *     |                     V
 *     |               +-----------+
 *     |               |           |
 *     +-------------->| Terminated|
 *                     |           |
 *                     +-----------+
 */
import { serializeMessage, type SipRequest, type SipResponse } from '@strata/parser';
import type { Destination, MessageSource, TransportError } from '@strata/transport';
import { TransactionError } from './errors.js';
import type { TimerHandle } from './timers.js';
import { TransactionBase, type TransactionHost } from './transaction.js';
import type { ServerTransactionUser } from './user.js';

export type NonInviteServerState = 'trying' | 'proceeding' | 'completed' | 'terminated';

const REQUEST = 0;
const TU_PROVISIONAL = 1;
const TU_FINAL = 2;
const TIMER_J = 3;
const TRANSPORT_ERROR = 4;
type Input = 0 | 1 | 2 | 3 | 4;

export class NonInviteServerTransaction extends TransactionBase {
  readonly kind = 'non-invite-server' as const;
  readonly isInvite = false as const;
  readonly isClient = false as const;
  readonly source: MessageSource;
  readonly responseDestination: Destination;
  readonly rfc2543: boolean;
  user: ServerTransactionUser;
  private _state: NonInviteServerState = 'trying';
  private lastResponseBytes: Buffer | null = null;
  private _lastStatus = 0;
  private lastError: TransportError | null = null;
  private pending: SipResponse | null = null;
  private timerJ: TimerHandle | null = null;
  private readonly fireJ: () => void;

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
    this.fireJ = () => this.input(TIMER_J);
  }

  get state(): NonInviteServerState {
    return this._state;
  }

  get lastStatus(): number {
    return this._lastStatus;
  }

  /** "The state machine is initialized in the "Trying" state" (nothing to send yet). */
  start(): void {}

  /** Send a response from the TU; false when the machine does not take it (already Completed). */
  respond(response: SipResponse): boolean {
    if (response.status < 100 || response.status > 699)
      throw new TransactionError('BAD_RESPONSE', `status ${response.status} out of range`);
    this.pending = response;
    const taken = this.input(response.status < 200 ? TU_PROVISIONAL : TU_FINAL);
    this.pending = null;
    return taken;
  }

  receiveRequest(_request: SipRequest): void {
    this.input(REQUEST);
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
      case 'trying':
        return this.trying(input);
      case 'proceeding':
        return this.proceeding(input);
      case 'completed':
        return this.completed(input);
      case 'terminated':
        return false;
    }
  }

  private trying(input: Input): boolean {
    switch (input) {
      case REQUEST:
        // "Once in the "Trying" state, any further request retransmissions
        // are discarded."
        return true;
      case TU_PROVISIONAL:
        // "While in the "Trying" state, if the TU passes a provisional
        // response to the server transaction, the server transaction MUST
        // enter the "Proceeding" state. The response MUST be passed to the
        // transport layer for transmission."
        this._state = 'proceeding';
        this.sendResponse(this.pending!);
        return true;
      default:
        return this.common(input);
    }
  }

  private proceeding(input: Input): boolean {
    switch (input) {
      case REQUEST:
        // "If a retransmission of the request is received while in the
        // "Proceeding" state, the most recently sent provisional response
        // MUST be passed to the transport layer for retransmission."
        this.resend();
        return true;
      case TU_PROVISIONAL:
        // "Any further provisional responses that are received from the TU
        // while in the "Proceeding" state MUST be passed to the transport
        // layer for transmission."
        this.sendResponse(this.pending!);
        return true;
      default:
        return this.common(input);
    }
  }

  private common(input: Input): boolean {
    switch (input) {
      case TU_FINAL:
        // "If the TU passes a final response (status codes 200-699) to the
        // server while in the "Proceeding" [or "Trying"] state, the
        // transaction MUST enter the "Completed" state, and the response MUST
        // be passed to the transport layer for transmission." "When the
        // server transaction enters the "Completed" state, it MUST set Timer
        // J to fire in 64*T1 seconds for unreliable transports, and zero
        // seconds for reliable transports."
        this._state = 'completed';
        this.sendResponse(this.pending!);
        if (this._state !== 'completed') return true;
        if (this.reliable) this.toTerminated();
        else this.timerJ = this.startTimer(this.fireJ, this.host.config.timeout64);
        return true;
      case TRANSPORT_ERROR:
        return this.failTransport();
      default:
        return false;
    }
  }

  private completed(input: Input): boolean {
    switch (input) {
      case REQUEST:
        // "While in the "Completed" state, the server transaction MUST pass
        // the final response to the transport layer for retransmission
        // whenever a retransmission of the request is received."
        this.resend();
        return true;
      case TU_PROVISIONAL:
      case TU_FINAL:
        // "Any other final responses passed by the TU to the server
        // transaction MUST be discarded while in the "Completed" state."
        return false;
      case TIMER_J:
        // "The server transaction remains in this state until Timer J fires,
        // at which point it MUST transition to the "Terminated" state."
        this.timerJ = null;
        this.toTerminated();
        return true;
      case TRANSPORT_ERROR:
        return this.failTransport();
      default:
        return false;
    }
  }

  /**
   * §17.2.4: "the server transaction SHOULD inform the TU that a failure has
   * occurred, and SHOULD transition to the terminated state."
   */
  private failTransport(): boolean {
    this.user.onTransportError(this.lastError!, this);
    this.toTerminated();
    return true;
  }

  private sendResponse(response: SipResponse): void {
    this._lastStatus = response.status;
    this.lastResponseBytes = serializeMessage(response);
    this.host.send(this.lastResponseBytes, this.responseDestination, this);
  }

  private resend(): void {
    if (this.lastResponseBytes !== null)
      this.host.send(this.lastResponseBytes, this.responseDestination, this);
  }

  /** "The server transaction MUST be destroyed the instant it enters the "Terminated" state" */
  private toTerminated(): void {
    this._state = 'terminated';
    this.timerJ = this.stopTimer(this.timerJ);
    this.lastResponseBytes = null;
    this.host.release(this);
    this.user.onTerminated(this);
  }
}
