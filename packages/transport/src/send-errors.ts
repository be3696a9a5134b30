/** Socket errors → TransportError codes (Fastify-style stable codes, ARCHITECTURE.md §3.5). */
import { TransportError, type TransportErrorCode } from './errors.js';

export function toTransportError(err: unknown, what: string): TransportError {
  if (err instanceof TransportError) return err;
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return new TransportError(codeFor(code), `${what}: ${describe(err)}`, { cause: err });
}

function codeFor(errno: string | undefined): TransportErrorCode {
  switch (errno) {
    case 'ECONNREFUSED':
      return 'CONNECTION_REFUSED';
    case 'ETIMEDOUT':
      return 'CONNECT_TIMEOUT';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EHOSTDOWN':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EADDRNOTAVAIL':
      return 'HOST_UNREACHABLE';
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ERR_STREAM_DESTROYED':
    case 'ERR_STREAM_WRITE_AFTER_END':
    case 'ERR_SOCKET_DGRAM_NOT_RUNNING':
      return 'CONNECTION_CLOSED';
    case 'EMSGSIZE':
      return 'MESSAGE_TOO_LARGE';
    default:
      return 'SEND_FAILED';
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Errors already counted in `sendErrors` where they happened (the UDP socket's callback). */
const counted = new WeakSet<object>();

export function markCounted<T extends object>(err: T): T {
  counted.add(err);
  return err;
}

export function wasCounted(err: unknown): boolean {
  return typeof err === 'object' && err !== null && counted.has(err);
}
