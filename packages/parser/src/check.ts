/**
 * The grammar of the structured values the hot path only locates: the
 * Request-URI and every Via, From, To, Contact, Route, Record-Route and Date
 * value (RFC 3261 §25.1; RFC 4475 §3.1.2 and RFC 5118 §4 invalid messages).
 *
 * validateRequest and validateResponse run this first, and parseMessage runs
 * it when called with `{ strict: true }`, so "parse, then validate" rejects
 * exactly what a grammar-checking parse did, with the same status. The checks
 * build nothing: original values are scanned in place in the header text,
 * with the regex fast paths of syntax-fast.ts for the common shapes.
 */
import { unfold } from './grammar.js';
import { HotHeader } from './header-names.js';
import type { SipMessage } from './message.js';
import { fastAddress, fastRequestUri, fastVia } from './syntax-fast.js';
import { checkAddressList, checkDate, checkViaList, scanUri, UriContext } from './syntax.js';

/** Throws SipParseError (status 400, 414 for an over-long URI) at the first bad value. */
export function checkMessageSyntax(msg: SipMessage, maxUriLength: number): void {
  // header lines first, in order, then the Request-URI: the order in which a
  // grammar-checking parse met them, so the same error wins
  msg.headers.forEachHotValue(checkValue, maxUriLength);
  if (msg.isRequest) {
    const uri = msg.uri;
    // Request-URI = SIP-URI / SIPS-URI / absoluteURI; ltgtruri (<…>) and
    // RFC 5118 §4.2 (unbracketed IPv6) fail here with 400
    if (uri.length > maxUriLength || !fastRequestUri(uri, 0, uri.length))
      scanUri(uri, 0, uri.length, UriContext.Whole, maxUriLength);
  }
}

/** One header value, text[vs, ve), of the hot header `hot`. */
function checkValue(
  text: string,
  vs: number,
  ve: number,
  hot: HotHeader,
  maxUriLength: number,
): void {
  switch (hot) {
    case HotHeader.Via:
      if (!fastVia(text, vs, ve)) checkViaList(text, vs, ve);
      break;
    case HotHeader.From:
    case HotHeader.To:
      if (ve - vs > maxUriLength || !fastAddress(text, vs, ve))
        checkAddressList(text, vs, ve, false, false, maxUriLength);
      break;
    case HotHeader.Contact:
      if (ve - vs > maxUriLength || !fastAddress(text, vs, ve, true))
        checkAddressList(text, vs, ve, true, true, maxUriLength);
      break;
    case HotHeader.Route:
    case HotHeader.RecordRoute:
      if (ve - vs > maxUriLength || !fastAddress(text, vs, ve, true))
        checkAddressList(text, vs, ve, true, false, maxUriLength);
      break;
    case HotHeader.Date:
      checkDate(unfold(text.slice(vs, ve)));
      break;
    default:
      break;
  }
}

/**
 * The top Via value (already cut out, trimmed) checked on its own: what
 * `topViaRaw` verifies before it hands the value to the hot path.
 */
export function checkTopVia(value: string): void {
  if (!fastVia(value, 0, value.length)) checkViaList(value, 0, value.length, false);
}
