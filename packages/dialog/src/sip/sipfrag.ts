/**
 * RFC 3515 §2.4.5: "Each NOTIFY MUST contain a body of type message/sipfrag" whose first
 * line is the status line of a response to the referred request (RFC 3420), e.g.
 * `SIP/2.0 200 OK`. Returns its status code, or null when the body is not a status line.
 */
export function sipfragStatus(body: Buffer | string): number | null {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  const m = /^\s*SIP\/2\.0\s+([1-6]\d\d)\b/i.exec(text);
  return m === null ? null : Number(m[1]);
}

/** RFC 3515 §2.4.4: the NOTIFYs of an implicit REFER subscription carry `Event: refer`. */
export function isReferEvent(event: string | undefined): boolean {
  return event !== undefined && /^\s*refer\s*(;|$)/i.test(event);
}

/** Content-Type message/sipfrag (RFC 3420). */
export function isSipfrag(contentType: string | undefined): boolean {
  return contentType !== undefined && /^\s*message\/sipfrag\b/i.test(contentType);
}
