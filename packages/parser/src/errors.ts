/**
 * The one error type the parser throws. `status` is the response a server
 * should send for it (RFC 3261 §8.2, §16.3), or `undefined` when the message
 * must be dropped silently (a malformed response has nobody to answer to).
 */
export type SipParseErrorCode =
  | 'EMPTY_MESSAGE'
  | 'MESSAGE_TOO_LARGE'
  | 'BAD_START_LINE'
  | 'BAD_VERSION'
  | 'BAD_STATUS_CODE'
  | 'BAD_METHOD'
  | 'BAD_HEADER'
  | 'HEADER_TOO_LONG'
  | 'TOO_MANY_HEADERS'
  | 'TOO_MANY_VIA'
  | 'NO_HEADER_END'
  | 'BAD_CALL_ID'
  | 'BAD_CSEQ'
  | 'BAD_MAX_FORWARDS'
  | 'BAD_CONTENT_LENGTH'
  | 'MISSING_CONTENT_LENGTH'
  | 'BODY_TOO_LARGE'
  | 'BAD_URI'
  | 'URI_TOO_LONG'
  | 'BAD_VIA'
  | 'BAD_NAME_ADDR'
  | 'BAD_PARAM'
  | 'BAD_AUTH'
  | 'BAD_HEADER_VALUE';

export class SipParseError extends Error {
  override readonly name = 'SipParseError';
  readonly code: SipParseErrorCode;
  readonly reason: string;
  readonly status: number | undefined;

  /** `status` null = drop silently (no response is possible or wanted). */
  constructor(code: SipParseErrorCode, reason: string, status: number | null = 400) {
    super(`${code}: ${reason}`);
    this.code = code;
    this.reason = reason;
    this.status = status ?? undefined;
  }
}

/** Status codes whose reason phrases the parser knows (RFC 3261 §21 and extensions). */
export const REASON_PHRASES: Readonly<Record<number, string>> = {
  100: 'Trying',
  180: 'Ringing',
  181: 'Call Is Being Forwarded',
  182: 'Queued',
  183: 'Session Progress',
  199: 'Early Dialog Terminated',
  200: 'OK',
  202: 'Accepted',
  204: 'No Notification',
  300: 'Multiple Choices',
  301: 'Moved Permanently',
  302: 'Moved Temporarily',
  305: 'Use Proxy',
  380: 'Alternative Service',
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  410: 'Gone',
  412: 'Conditional Request Failed',
  413: 'Request Entity Too Large',
  414: 'Request-URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Unsupported URI Scheme',
  420: 'Bad Extension',
  421: 'Extension Required',
  422: 'Session Interval Too Small',
  423: 'Interval Too Brief',
  429: 'Provide Referrer Identity',
  430: 'Flow Failed',
  439: 'First Hop Lacks Outbound Support',
  480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist',
  482: 'Loop Detected',
  483: 'Too Many Hops',
  484: 'Address Incomplete',
  485: 'Ambiguous',
  486: 'Busy Here',
  487: 'Request Terminated',
  488: 'Not Acceptable Here',
  489: 'Bad Event',
  491: 'Request Pending',
  493: 'Undecipherable',
  494: 'Security Agreement Required',
  500: 'Server Internal Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Server Time-out',
  505: 'Version Not Supported',
  513: 'Message Too Large',
  580: 'Precondition Failure',
  600: 'Busy Everywhere',
  603: 'Decline',
  604: 'Does Not Exist Anywhere',
  606: 'Not Acceptable',
  607: 'Unwanted',
};

export function reasonPhrase(status: number): string {
  return REASON_PHRASES[status] ?? (status < 200 ? 'Provisional' : status < 300 ? 'OK' : 'Error');
}
