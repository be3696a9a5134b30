/** Bounds that keep a hostile message from costing more than linear time and memory. */
export interface ParserLimits {
  /** Whole message, headers + body, in bytes (→ 413). */
  maxMessageSize: number;
  /** Number of header lines (→ 400). */
  maxHeaders: number;
  /** One header line including its folded continuations, in bytes (→ 400). */
  maxHeaderLineLength: number;
  /** Request-URI and URIs inside headers, in characters (→ 414). */
  maxUriLength: number;
  /** Via header field values, counting comma-separated ones (→ 400). */
  maxVia: number;
}

export const DEFAULT_LIMITS: Readonly<ParserLimits> = Object.freeze({
  maxMessageSize: 65_535,
  maxHeaders: 256,
  maxHeaderLineLength: 8_192,
  maxUriLength: 4_096,
  maxVia: 64,
});

export function resolveLimits(partial?: Partial<ParserLimits>): ParserLimits {
  return partial === undefined ? DEFAULT_LIMITS : { ...DEFAULT_LIMITS, ...partial };
}
