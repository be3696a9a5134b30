/** A registered contact of an address-of-record (RFC 3261 §10.3). Plain data, stored as JSON. */
export interface Binding {
  /** canonical AoR: sip:user@domain */
  aor: string;
  /** the Contact URI as registered */
  contact: string;
  /** epoch ms */
  expiresAt: number;
  q: number | null;
  callId: string;
  cseq: number;
  /** RFC 3327 Path values, top first: requests to this contact are routed through them */
  path: string[];
  /** where the REGISTER really came from (NAT: differs from the Contact host) */
  received: {
    transport: string;
    address: string;
    port: number;
    connectionId: string | null;
  } | null;
  /** RFC 5626 +sip.instance and reg-id, when given */
  instanceId: string | null;
  regId: number | null;
  userAgent: string | null;
  updatedAt: number;
}
