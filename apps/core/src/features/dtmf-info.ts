/**
 * DTMF carried in SIP INFO (issue #14). Two de-facto formats, neither an RFC:
 * - `application/dtmf-relay` (Cisco/Asterisk): `Signal=5\r\nDuration=160\r\n`, keys
 *   case-insensitive; some senders use 10 for `*` and 11 for `#`;
 * - `application/dtmf`: the bare digit (`5`), sometimes in the `Signal=` form too.
 * RFC 4733 telephone-events travel in RTP and never reach a proxy (docs/call-control.md).
 * Bad or unknown bodies give null: the INFO is still forwarded unchanged.
 */

export interface DtmfDigit {
  /** one of 0-9 * # A-D */
  readonly digit: string;
  readonly durationMs: number | null;
}

const DIGIT = /^[0-9*#A-D]$/;
const NUMERIC: Readonly<Record<string, string>> = {
  '10': '*',
  '11': '#',
  '12': 'A',
  '13': 'B',
  '14': 'C',
  '15': 'D',
};

/** The media type of a Content-Type value, lower-cased, without parameters. */
function mediaType(contentType: string | undefined): string | null {
  if (contentType === undefined) return null;
  const t = contentType.split(';')[0]!.trim().toLowerCase();
  return t === '' ? null : t;
}

export function isDtmfInfo(contentType: string | undefined): boolean {
  const t = mediaType(contentType);
  return t === 'application/dtmf-relay' || t === 'application/dtmf';
}

function normaliseSignal(raw: string): string | null {
  const v = raw.trim().toUpperCase();
  const d = NUMERIC[v] ?? v;
  return DIGIT.test(d) ? d : null;
}

export function parseDtmfInfo(
  contentType: string | undefined,
  body: Buffer | string,
): DtmfDigit | null {
  const t = mediaType(contentType);
  if (t !== 'application/dtmf-relay' && t !== 'application/dtmf') return null;
  const text = (typeof body === 'string' ? body : body.toString('latin1')).slice(0, 512);
  if (!text.includes('=')) {
    if (t !== 'application/dtmf') return null;
    const digit = normaliseSignal(text);
    return digit === null ? null : { digit, durationMs: null };
  }
  let digit: string | null = null;
  let durationMs: number | null = null;
  for (const line of text.split(/\r?\n/)) {
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = line.slice(0, eq).trim().toLowerCase();
    const value = line.slice(eq + 1).trim();
    if (key === 'signal') digit = normaliseSignal(value);
    else if (key === 'duration' && /^\d{1,6}$/.test(value)) durationMs = Number(value);
  }
  return digit === null ? null : { digit, durationMs };
}
