import { readContacts, serializeUri, type SipMessage } from '@strata/parser';

/**
 * The Contact URI of a message (the sender's remote target, RFC 3261 §12.1.1/§12.1.2),
 * or null when absent, a wildcard, or malformed (a bad Contact must not break tracking).
 */
export function contactUri(msg: SipMessage): string | null {
  try {
    const contacts = readContacts(msg.headers);
    if (contacts === '*') return null;
    const first = contacts[0];
    return first === undefined ? null : serializeUri(first.uri);
  } catch {
    return null;
  }
}

/** The Record-Route values of a message, top first, as written. */
export function recordRouteValues(msg: SipMessage): string[] {
  return msg.headers.values('record-route');
}

/** The body as text when it is non-empty. */
export function bodyText(msg: SipMessage): string | null {
  return msg.body.length === 0 ? null : msg.body.toString('utf8');
}
