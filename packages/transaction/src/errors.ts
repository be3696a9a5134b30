/**
 * Errors of the transaction layer and the proxy core: one class, stable
 * codes, the SIP status each maps to, and the cause (ARCHITECTURE.md §3 item 5).
 */
export type TransactionErrorCode =
  /** the request has no usable top Via / branch / CSeq to key a transaction on */
  | 'UNKEYABLE_MESSAGE'
  /** a transaction with this key already exists */
  | 'TRANSACTION_EXISTS'
  /** ACK is never a transaction of its own (RFC 3261 §17) */
  | 'ACK_IS_NOT_A_TRANSACTION'
  /** the transaction is in a state that does not accept this input */
  | 'INVALID_STATE'
  /** the response does not fit the request (status out of range, wrong method) */
  | 'BAD_RESPONSE'
  /** the transport refused the message (maps to 503, RFC 3261 §8.1.3.1, §16.9) */
  | 'TRANSPORT_FAILED'
  /** the routing logic failed or threw */
  | 'ROUTING_FAILED';

const STATUS: Record<TransactionErrorCode, number> = {
  UNKEYABLE_MESSAGE: 400,
  TRANSACTION_EXISTS: 500,
  ACK_IS_NOT_A_TRANSACTION: 500,
  INVALID_STATE: 500,
  BAD_RESPONSE: 500,
  TRANSPORT_FAILED: 503,
  ROUTING_FAILED: 500,
};

export class TransactionError extends Error {
  override readonly name = 'TransactionError';
  readonly code: TransactionErrorCode;
  /** the SIP status this error maps to at a layer boundary */
  readonly status: number;

  constructor(code: TransactionErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.status = STATUS[code];
  }
}
