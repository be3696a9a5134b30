/**
 * Fast paths for the common shapes of the headers parseMessage checks. Each
 * pattern accepts a subset of what the scanners in syntax.ts accept (single
 * spaces, no folding, no IPv6, no escapes in odd places), so a match proves
 * the value valid; anything else falls through to the exact scanner, which
 * decides. The patterns are deterministic: no alternative can re-match what
 * another consumed, so irregexp runs them in linear time.
 *
 * They run as sticky patterns over the header text at the value's offset, and
 * count only when the match ends exactly at the value's end (a folded
 * continuation line is therefore never skipped).
 */

const TOKEN = "[A-Za-z0-9.!%*_+`'~-]";
const ESC = '%[0-9A-Fa-f]{2}';
// user chars without ";", "," and "?" (those end an addr-spec, §20)
const USER = `(?:[A-Za-z0-9_.!~*'()&=+$/-]|${ESC})+`;
const PASS = `(?:[A-Za-z0-9_.!~*'()&=+$,-]|${ESC})*`;
const HOST = '[A-Za-z0-9_][A-Za-z0-9_.-]*';
// Five-digit ports first: a sticky pattern has no end anchor, so with
// [0-9]{1,4} tried first "40000" matched as "4000" and the match ended one
// character short of the value, sending every ephemeral port (rport
// clients) to the slow scanner.
const PORT =
  '(?::(?:[0-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]|[0-9]{1,4}))?';
const PARAMC = `(?:[A-Za-z0-9_.!~*'()\\[\\]/:&+$-]|${ESC})+`;
const URI_PARAMS = `(?:;${PARAMC}(?:=${PARAMC})?)*`;
const SIP_HOSTPORT = `[sS][iI][pP][sS]?:(?:${USER}(?::${PASS})?@)?${HOST}${PORT}`;
const QUOTED = '"(?:[^"\\\\\\x00-\\x08\\x0a-\\x1f]|\\\\[^\\r\\n])*"';
const GEN_PARAMS = `(?:;${TOKEN}+(?:=(?:${TOKEN}+|${QUOTED}))?)*`;

/** name-addr with a SIP URI, or a bare SIP addr-spec, then header params */
const ONE_ADDRESS = `(?:(?:(?:${QUOTED}|${TOKEN}+(?: ${TOKEN}+)*) ?)?<${SIP_HOSTPORT}${URI_PARAMS}>|${SIP_HOSTPORT})${GEN_PARAMS}`;
const ADDRESS = new RegExp(ONE_ADDRESS, 'y');
const ADDRESS_LIST = new RegExp(`${ONE_ADDRESS}(?: ?, ?${ONE_ADDRESS})*`, 'y');

/** one Via value over UDP/TCP/TLS/SCTP/WS/WSS with a name or IPv4 sent-by */
const VIA = new RegExp(
  `SIP/2\\.0/(?:UDP|TCP|TLS|SCTP|WSS?) ${HOST}${PORT}(?:;${TOKEN}+(?:=${TOKEN}+)?)*`,
  'y',
);

/** a SIP URI without headers */
const REQUEST_URI = new RegExp(`${SIP_HOSTPORT}${URI_PARAMS}`, 'y');

/** True when one common-shape address (or a list of them) runs from `at` to exactly `end`. */
export function fastAddress(src: string, at: number, end: number, list = false): boolean {
  const re = list ? ADDRESS_LIST : ADDRESS;
  re.lastIndex = at;
  return re.test(src) && re.lastIndex === end;
}

/** True when one common-shape Via value runs from `at` to exactly `end`. */
export function fastVia(src: string, at: number, end: number): boolean {
  VIA.lastIndex = at;
  return VIA.test(src) && VIA.lastIndex === end;
}

/** True when a plain SIP URI runs from `at` to exactly `end`. */
export function fastRequestUri(src: string, at: number, end: number): boolean {
  REQUEST_URI.lastIndex = at;
  return REQUEST_URI.test(src) && REQUEST_URI.lastIndex === end;
}
