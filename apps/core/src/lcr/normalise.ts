/**
 * Dialled number → the digits of an E.164 number (without "+"), the key of the rate
 * table: visual separators dropped (RFC 3966 §5.1.1 lists "-", ".", "(", ")"), the
 * configured rewrite rules applied, then "+" or the international prefix stripped, or
 * the national prefix replaced by the country code. Null when digits do not remain.
 */
import type { NormaliseConfig } from './lcr-config.js';

export class NumberNormaliser {
  private readonly rules: readonly [RegExp, string][];

  constructor(private readonly config: NormaliseConfig) {
    this.rules = config.rules.map((r) => [new RegExp(r.match), r.replace]);
  }

  normalise(dialled: string): string | null {
    let n = dialled.replace(/[-.() ]/g, '');
    for (const [re, to] of this.rules) n = n.replace(re, to);
    const c = this.config;
    if (n.startsWith('+')) n = n.slice(1);
    else if (c.internationalPrefix !== '' && n.startsWith(c.internationalPrefix))
      n = n.slice(c.internationalPrefix.length);
    else if (c.nationalPrefix !== '' && c.countryCode !== '' && n.startsWith(c.nationalPrefix))
      n = c.countryCode + n.slice(c.nationalPrefix.length);
    return /^\d{1,20}$/.test(n) ? n : null;
  }
}
