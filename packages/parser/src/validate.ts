/**
 * Semantic checks a server makes before it acts on a syntactically valid
 * request (RFC 3261 §8.2 for a UAS, §16.3 for a proxy). They are kept apart
 * from the parser so the stateless edge can choose which to pay for.
 */
import { SipParseError } from './errors.js';
import { HotHeader } from './header-names.js';
import { parseContact } from './header-values.js';
import { DEFAULT_LIMITS } from './limits.js';
import type { SipRequest } from './message.js';
import { parseUri } from './uri.js';

export interface ValidationFailure {
  /** the response to send */
  status: number;
  reason: string;
  /** stable machine-readable cause, for logs and metrics */
  code: string;
  /** headers the response must carry (e.g. Unsupported with a 420) */
  headers: [string, string][];
}

export interface ValidateOptions {
  /** 'proxy' (default) applies §16.3; 'uas' applies §8.2 (Require instead of Proxy-Require). */
  role?: 'proxy' | 'uas';
  /** 'datagram' (default): a short body is an error; 'stream': the framer waits for it. */
  framing?: 'datagram' | 'stream';
  /** option tags we support (Proxy-Require / Require); compared lowercase */
  supported?: readonly string[];
  /** URI schemes we route; others get 416 (RFC 3261 §8.2.2.1) */
  schemes?: readonly string[];
  maxUriLength?: number;
}

const DEFAULT_SCHEMES = ['sip', 'sips', 'tel'] as const;

function fail(
  status: number,
  code: string,
  reason: string,
  headers: [string, string][] = [],
): ValidationFailure {
  return { status, code, reason, headers };
}

/** Returns the error response the request calls for, or null when it may be processed. */
export function validateRequest(
  req: SipRequest,
  options: ValidateOptions = {},
): ValidationFailure | null {
  const role = options.role ?? 'proxy';
  const h = req.headers;

  // §8.1.1: To, From, CSeq, Call-ID and Via are mandatory (Max-Forwards a proxy adds, §16.6 item 3)
  for (const [hot, name] of MANDATORY) {
    const n = h.hotLineCount(hot);
    if (n === 0) return fail(400, 'MISSING_HEADER', `Missing ${name} header`);
    // RFC 4475 §3.1.2.17 (multi01): single-valued headers appearing twice are fatal
    if (n > 1 && hot !== HotHeader.Via)
      return fail(400, 'DUPLICATE_HEADER', `Multiple ${name} headers`);
  }
  if (h.hotLineCount(HotHeader.MaxForwards) > 1)
    return fail(400, 'DUPLICATE_HEADER', 'Multiple Max-Forwards headers');
  const callId = req.callId;
  if (callId.length === 0 || /\s/.test(callId)) return fail(400, 'BAD_CALL_ID', 'Bad Call-ID');

  try {
    // parsing them throws on malformed values
    void req.from;
    void req.to;
    if (req.vias.length === 0) return fail(400, 'MISSING_HEADER', 'Missing Via header');
  } catch (err) {
    if (err instanceof SipParseError) return fail(400, err.code, err.reason);
    throw err;
  }

  // §8.1.1.5: the CSeq method MUST match the method of the request
  if (req.cseq.method !== req.method)
    return fail(400, 'CSEQ_METHOD_MISMATCH', 'CSeq method does not match request method');

  // §8.2.2.1: Request-URI scheme we do not understand → 416
  try {
    const uri = parseUri(req.uri, options.maxUriLength ?? DEFAULT_LIMITS.maxUriLength);
    const schemes = options.schemes ?? DEFAULT_SCHEMES;
    if (!schemes.includes(uri.scheme))
      return fail(416, 'UNSUPPORTED_URI_SCHEME', 'Unsupported URI Scheme');
  } catch (err) {
    if (err instanceof SipParseError)
      return fail(err.status ?? 400, err.code, `Bad Request-URI: ${err.reason}`);
    throw err;
  }

  // §18.3: a datagram shorter than its Content-Length is answered 400
  if (req.truncatedBy > 0 && (options.framing ?? 'datagram') === 'datagram') {
    return fail(400, 'BODY_TRUNCATED', 'Content-Length larger than the message body');
  }

  // Contact values must parse on dialog-forming and registration requests
  if (
    req.method === 'INVITE' ||
    req.method === 'REGISTER' ||
    req.method === 'SUBSCRIBE' ||
    req.method === 'REFER'
  ) {
    try {
      const values = h.values('contact');
      if (!(values.length === 1 && values[0] === '*' && req.method === 'REGISTER'))
        values.forEach(parseContact);
    } catch (err) {
      if (err instanceof SipParseError) return fail(400, err.code, `Bad Contact: ${err.reason}`);
      throw err;
    }
  }

  // §16.3 item 3: Max-Forwards 0 → 483, except OPTIONS, which the proxy may answer itself
  if (role === 'proxy' && req.maxForwards === 0 && req.method !== 'OPTIONS') {
    return fail(483, 'TOO_MANY_HOPS', 'Too Many Hops');
  }

  // §16.3 item 5 (Proxy-Require) / §8.2.2.3 (Require, not for ACK and CANCEL) → 420 + Unsupported
  const supported = new Set((options.supported ?? []).map((t) => t.toLowerCase()));
  const requireHeader = role === 'proxy' ? 'proxy-require' : 'require';
  if (role === 'proxy' || (req.method !== 'ACK' && req.method !== 'CANCEL')) {
    const unknown = h.values(requireHeader).filter((t) => !supported.has(t.toLowerCase()));
    if (unknown.length > 0)
      return fail(420, 'BAD_EXTENSION', 'Bad Extension', [['Unsupported', unknown.join(', ')]]);
  }
  return null;
}

const MANDATORY: [HotHeader, string][] = [
  [HotHeader.Via, 'Via'],
  [HotHeader.From, 'From'],
  [HotHeader.To, 'To'],
  [HotHeader.CallId, 'Call-ID'],
  [HotHeader.CSeq, 'CSeq'],
];
