/**
 * Semantic checks a server makes before it acts on a syntactically valid
 * request (RFC 3261 §8.2 for a UAS, §16.3 for a proxy). They are kept apart
 * from the parser so the stateless edge can choose which to pay for.
 */
import { checkMessageSyntax } from './check.js';
import { SipParseError } from './errors.js';
import { HOT_HEADER_IDS, HotHeader } from './header-names.js';
import { parseContact, parseMediaType, readContentType } from './header-values.js';
import type { SipHeaders } from './headers.js';
import { DEFAULT_LIMITS } from './limits.js';
import type { SipRequest, SipResponse } from './message.js';
import { isSipUri, parseUri } from './uri.js';

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
  /**
   * 'proxy' (default) applies §16.3; 'uas' applies §8.2 (Require instead of
   * Proxy-Require, Content-Type and Accept checks); 'registrar' is a UAS that
   * also applies §10.3 to REGISTER.
   */
  role?: 'proxy' | 'uas' | 'registrar';
  /** 'datagram' (default): a short body is an error; 'stream': the framer waits for it. */
  framing?: 'datagram' | 'stream';
  /** option tags we support (Proxy-Require / Require); compared lowercase */
  supported?: readonly string[];
  /** URI schemes we route; others get 416 (RFC 3261 §8.2.2.1) */
  schemes?: readonly string[];
  maxUriLength?: number;
  /**
   * Methods this element knows. A request whose CSeq method differs from an
   * unknown request method is answered 501 rather than 400 (RFC 4475
   * §3.1.2.18). Default: the RFC 3261 methods and the common extensions.
   */
  knownMethods?: readonly string[];
  /**
   * The proxy answers OPTIONS itself when Max-Forwards is 0 (RFC 3261 §16.3
   * item 3: "If the request is an OPTIONS request, the element MAY act as the
   * final recipient and respond per Section 11"). Default false: 483.
   */
  answerOptions?: boolean;
  /**
   * UAS/registrar only: the body types this element understands (a body of
   * another type → 415, RFC 3261 §8.2.3) and can answer in (an Accept header
   * that allows none of them → 406, §21.4.7). Default: application/sdp.
   */
  contentTypes?: readonly string[];
}

const DEFAULT_SCHEMES = ['sip', 'sips', 'tel'] as const;
const DEFAULT_CONTENT_TYPES = ['application/sdp'] as const;

/** RFC 3261 §27.4 methods and the extensions a proxy meets every day. */
export const KNOWN_METHODS: readonly string[] = [
  'INVITE',
  'ACK',
  'BYE',
  'CANCEL',
  'OPTIONS',
  'REGISTER',
  'PRACK',
  'SUBSCRIBE',
  'NOTIFY',
  'PUBLISH',
  'INFO',
  'REFER',
  'MESSAGE',
  'UPDATE',
];

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
  const maxUriLength = options.maxUriLength ?? DEFAULT_LIMITS.maxUriLength;

  // Grammar of the Request-URI and of the Via, From, To, Contact, Route,
  // Record-Route and Date values, which parseMessage only locates (RFC 4475
  // §3.1.2 / RFC 5118 §4 invalid messages → 400, an over-long URI → 414).
  // First, as a grammar-checking parse would have been.
  const syntax = syntaxFailure(req, maxUriLength);
  if (syntax !== null) return fail(syntax.status ?? 400, syntax.code, syntax.reason);

  // §8.2.2 / RFC 4475 §3.1.2.16 (badvers): "The element should respond to the
  // request with a 505 Version Not Supported error."
  if (req.version.toUpperCase() !== 'SIP/2.0')
    return fail(505, 'VERSION_NOT_SUPPORTED', 'Version Not Supported');

  const missing = checkMandatory(h);
  if (missing !== null) return fail(400, missing.code, missing.reason);
  const callId = req.callId;
  if (callId.length === 0 || /\s/.test(callId)) return fail(400, 'BAD_CALL_ID', 'Bad Call-ID');

  try {
    // the grammar was checked above; To is built now because every caller
    // reads its tag next (in dialog or not). From and the Vias are not: the
    // stateless edge reads neither on its forward (only the top Via, as
    // topViaRaw, checked in place), and building them was a measurable part
    // of its CPU per request; the grammar check is what makes a bad one 400.
    void req.to;
    if (req.topViaRaw === undefined) return fail(400, 'MISSING_HEADER', 'Missing Via header');
  } catch (err) {
    if (err instanceof SipParseError) return fail(400, err.code, err.reason);
    throw err;
  }

  // §8.1.1.5: "The method MUST match the method of the request". RFC 4475
  // §3.1.2.18 (mismatch02): with an unknown method "choosing a 501
  // (particularly at proxies) has better future-proof characteristics".
  if (req.cseq.method !== req.method) {
    const known = options.knownMethods ?? KNOWN_METHODS;
    return known.includes(req.method)
      ? fail(400, 'CSEQ_METHOD_MISMATCH', 'CSeq method does not match request method')
      : fail(501, 'NOT_IMPLEMENTED', 'Not Implemented');
  }

  // §8.2.2.1: Request-URI scheme we do not understand → 416
  try {
    const uri = parseUri(req.uri, maxUriLength);
    const schemes = options.schemes ?? DEFAULT_SCHEMES;
    if (!schemes.includes(uri.scheme))
      return fail(416, 'UNSUPPORTED_URI_SCHEME', 'Unsupported URI Scheme');
    // §19.1.1: headers are "not allowed in ... a Request-URI"; RFC 4475
    // §3.1.2.11 (escruri): "It is acceptable for an element to reject this
    // request with a 400 Bad Request."
    if (isSipUri(uri) && uri.headers !== null)
      return fail(400, 'HEADERS_IN_REQUEST_URI', 'Request-URI with headers');
  } catch (err) {
    if (err instanceof SipParseError)
      return fail(err.status ?? 400, err.code, `Bad Request-URI: ${err.reason}`);
    throw err;
  }

  // RFC 4475 §3.3.9 (mcl01): conflicting Content-Length values: "An element
  // receiving this message should respond with an error."
  if (req.conflictingContentLength)
    return fail(400, 'CONFLICTING_CONTENT_LENGTH', 'Multiple Content-Length values');
  // §18.3: "If the message is ... received over UDP ... shorter than the
  // Content-Length ... the message MUST be discarded" for a request a 400 is
  // the answer (RFC 4475 §3.1.2.2 clerr); on a stream the framer waits instead.
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
        values.forEach(checkContact);
    } catch (err) {
      if (err instanceof SipParseError) return fail(400, err.code, `Bad Contact: ${err.reason}`);
      throw err;
    }
  }

  // §16.3 item 3: "If the Max-Forwards value is zero (0), the element MUST NOT
  // forward the request ... it MUST return a 483 (Too many hops)", except that
  // an OPTIONS request MAY be answered by the proxy itself (RFC 4475 §3.3.11).
  if (
    role === 'proxy' &&
    req.maxForwards === 0 &&
    !(req.method === 'OPTIONS' && options.answerOptions === true)
  ) {
    return fail(483, 'TOO_MANY_HOPS', 'Too Many Hops');
  }

  // §16.3 item 5 (Proxy-Require) / §8.2.2.3 (Require, not for ACK and CANCEL)
  // → 420 with an Unsupported header listing the unknown option tags
  const supported = new Set((options.supported ?? []).map((t) => t.toLowerCase()));
  const requireHeader = role === 'proxy' ? 'proxy-require' : 'require';
  if (role === 'proxy' || (req.method !== 'ACK' && req.method !== 'CANCEL')) {
    const unknown = h.values(requireHeader).filter((t) => !supported.has(t.toLowerCase()));
    if (unknown.length > 0)
      return fail(420, 'BAD_EXTENSION', 'Bad Extension', [['Unsupported', unknown.join(', ')]]);
  }

  if (role !== 'proxy') {
    const uasFailure = validateAtUas(req, role, options);
    if (uasFailure !== null) return uasFailure;
  }
  return null;
}

/**
 * What parseContact refuses beyond the grammar checkMessageSyntax already
 * checked: a "*" among other values or outside REGISTER (RFC 3261 §10.2.2)
 * and a q that is not a qvalue (§20.10). Only a value that names a q
 * parameter is parsed; the others need no object.
 */
function checkContact(value: string): void {
  if (value.trim() === '*' || Q_PARAM.test(value)) parseContact(value);
}

const Q_PARAM = /;[ \t]*q[ \t]*=/i;

/**
 * Checks only an endpoint makes; RFC 4475 §3.3.4, §3.3.6 and §3.3.15 say a
 * proxy forwards these requests as it would any other.
 */
function validateAtUas(
  req: SipRequest,
  role: 'uas' | 'registrar',
  options: ValidateOptions,
): ValidationFailure | null {
  const h = req.headers;
  try {
    // §10.3 step 3 / RFC 4475 §3.3.4 (unksm2): "A registrar would reject this
    // request with a 400 Bad Request response, since the To: header field is
    // required to contain a SIP or SIPS URI as an AOR."
    if (role === 'registrar' && req.method === 'REGISTER' && !isSipUri(req.to.uri))
      return fail(400, 'BAD_AOR', 'To is not a SIP or SIPS URI');
    const types = (options.contentTypes ?? DEFAULT_CONTENT_TYPES).map((t) => t.toLowerCase());
    // §8.2.3 / RFC 4475 §3.3.6 (invut): "An endpoint receiving this request
    // would reject it with a 415 Unsupported Media Type error."
    const ct = readContentType(h);
    if (req.body.length > 0 && ct !== null && !types.includes(`${ct.type}/${ct.subtype}`)) {
      return fail(415, 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported Media Type', [
        ['Accept', types.join(', ')],
      ]);
    }
    // §21.4.7 / RFC 4475 §3.3.15 (sdp01): "The recipient of this request could
    // respond with a 406 Not Acceptable"
    if (req.method === 'INVITE' && h.has('accept')) {
      const accepted = h.values('accept').map((a) => parseMediaType(a));
      const ok = accepted.some((a) =>
        types.some((t) => {
          const [type, subtype] = t.split('/');
          return (
            (a.type === '*' || a.type === type) && (a.subtype === '*' || a.subtype === subtype)
          );
        }),
      );
      if (!ok) return fail(406, 'NOT_ACCEPTABLE', 'Not Acceptable');
    }
  } catch (err) {
    if (err instanceof SipParseError) return fail(400, err.code, err.reason);
    throw err;
  }
  return null;
}

/** Why a response must be dropped (RFC 3261 §16.7, §18.1.2): no one is told. */
export interface DropReason {
  code: string;
  reason: string;
}

/** Limited broadcast and the unspecified address: never a sent-by to answer to. */
const BROADCAST = new Set(['255.255.255.255', '0.0.0.0']);

/**
 * The checks a proxy makes on a response before forwarding it. Returns why it
 * must be discarded silently, or null. RFC 4475 §3.3.10 (bcast): "proxies
 * should drop such responses" whose Via sent-by is a broadcast address.
 */
export function validateResponse(
  res: SipResponse,
  options: Pick<ValidateOptions, 'framing'> = {},
): DropReason | null {
  const syntax = syntaxFailure(res, DEFAULT_LIMITS.maxUriLength);
  if (syntax !== null) return { code: syntax.code, reason: syntax.reason };
  if (res.version.toUpperCase() !== 'SIP/2.0')
    return { code: 'VERSION_NOT_SUPPORTED', reason: `response version ${res.version}` };
  const missing = checkMandatory(res.headers);
  if (missing !== null) return missing;
  if (res.conflictingContentLength)
    return { code: 'CONFLICTING_CONTENT_LENGTH', reason: 'Multiple Content-Length values' };
  if (res.truncatedBy > 0 && (options.framing ?? 'datagram') === 'datagram')
    return { code: 'BODY_TRUNCATED', reason: 'Content-Length larger than the message body' };
  try {
    void res.from;
    void res.to;
    for (const via of res.vias) {
      const received = via.params.get('received');
      if (BROADCAST.has(via.host) || (received != null && BROADCAST.has(received)))
        return { code: 'BROADCAST_VIA', reason: `Via sent-by ${via.host} is a broadcast address` };
    }
  } catch (err) {
    if (err instanceof SipParseError) return { code: err.code, reason: err.reason };
    throw err;
  }
  return null;
}

/** checkMessageSyntax's error, or null when the grammar holds. */
function syntaxFailure(msg: SipRequest | SipResponse, maxUriLength: number): SipParseError | null {
  try {
    checkMessageSyntax(msg, maxUriLength);
    return null;
  } catch (err) {
    if (err instanceof SipParseError) return err;
    throw err;
  }
}

/**
 * §8.1.1: To, From, CSeq, Call-ID, Via are mandatory; §7.3.1: the
 * single-valued ones appear once (RFC 4475 §3.3.8 multi01 → 400).
 */
function checkMandatory(h: SipHeaders): DropReason | null {
  h.hotLineCounts(LINE_COUNTS);
  for (const [hot, name] of MANDATORY) {
    const n = LINE_COUNTS[hot]!;
    if (n === 0) return { code: 'MISSING_HEADER', reason: `Missing ${name} header` };
    if (n > 1 && hot !== HotHeader.Via)
      return { code: 'DUPLICATE_HEADER', reason: `Multiple ${name} headers` };
  }
  if (LINE_COUNTS[HotHeader.MaxForwards]! > 1)
    return { code: 'DUPLICATE_HEADER', reason: 'Multiple Max-Forwards headers' };
  return null;
}

/** checkMandatory's counts (validation is synchronous and not re-entered). */
const LINE_COUNTS = new Int32Array(HOT_HEADER_IDS);

const MANDATORY: [HotHeader, string][] = [
  [HotHeader.Via, 'Via'],
  [HotHeader.From, 'From'],
  [HotHeader.To, 'To'],
  [HotHeader.CallId, 'Call-ID'],
  [HotHeader.CSeq, 'CSeq'],
];
