/** RFC 3261 §18.1.1: moving a large UDP request to TCP rewrites its top Via. */
import { serializeMessage, serializeVia, type SipMessage } from '@strata/parser';

/**
 * The bytes of `msg` with its top Via's transport and sent-by replaced
 * ("the value in the top Via MUST be changed"). The message object itself is
 * left as it was (the caller may retransmit it), so the edit is undone after
 * serialising. Returns null when there is no top Via.
 */
export function rewriteTopViaTransport(
  msg: SipMessage,
  transport: string,
  host: string,
  port: number,
): Buffer | null {
  const via = msg.topVia;
  if (via === undefined) return null;
  const original = msg.headers.removeFirstValue('via');
  if (original === undefined) return null;
  msg.headers.prepend('Via', serializeVia({ ...via, transport, host, port }));
  const bytes = serializeMessage(msg);
  msg.headers.removeFirstValue('via');
  msg.headers.prepend('Via', original);
  return bytes;
}
