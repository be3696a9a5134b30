/** Canonical address-of-record: "sip:user@host" (RFC 3261 §10.3 step 5). */
import { isSipUri, isTelUri, unescapeUriPart, type Uri } from '@strata/parser';

export function canonicalAor(uri: Uri): string | null {
  if (isSipUri(uri)) {
    if (uri.user === null) return null;
    const host = (uri.host.startsWith('[') ? uri.host.slice(1, -1) : uri.host).toLowerCase();
    return `sip:${unescapeUriPart(uri.user)}@${host}`;
  }
  if (isTelUri(uri)) return `tel:${uri.number.replace(/[-.()]/g, '')}`;
  return null;
}

/** The AoR to look up for a Request-URI: sips is treated like sip for lookup. */
export function lookupAor(uri: Uri): string | null {
  return canonicalAor(uri);
}
