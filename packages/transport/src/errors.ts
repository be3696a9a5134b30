/**
 * Send failures surface as one typed error; the transaction layer maps it to
 * 503 (RFC 3261 §8.1.3.1, §16.9).
 */
export type TransportErrorCode =
  | 'CONNECTION_REFUSED'
  | 'CONNECT_TIMEOUT'
  | 'CONNECTION_CLOSED'
  | 'HOST_UNREACHABLE'
  | 'NO_LISTENER'
  | 'MESSAGE_TOO_LARGE'
  | 'SEND_FAILED';

export class TransportError extends Error {
  override readonly name = 'TransportError';
  readonly code: TransportErrorCode;
  /** the SIP status this failure maps to */
  readonly status = 503;

  constructor(code: TransportErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
