/** Loading certificate material for TLS/WSS servers and clients. */
import { readFileSync } from 'node:fs';
import type { TlsMaterial } from './config.js';

export interface LoadedTls {
  cert?: string | Buffer;
  key?: string | Buffer;
  ca?: string | Buffer;
  /** RFC 3261 §26.2.1 asks for TLS; versions below 1.2 are broken, so they are refused */
  minVersion: 'TLSv1.2' | 'TLSv1.3';
  requestCert: boolean;
  rejectUnauthorized: boolean;
}

export function loadTls(m: TlsMaterial): LoadedTls {
  const out: LoadedTls = {
    minVersion: m.minVersion ?? 'TLSv1.2',
    requestCert: m.requestCert ?? false,
    rejectUnauthorized: m.rejectUnauthorized ?? true,
  };
  const cert = m.cert ?? (m.certPath !== undefined ? readFileSync(m.certPath) : undefined);
  const key = m.key ?? (m.keyPath !== undefined ? readFileSync(m.keyPath) : undefined);
  const ca = m.ca ?? (m.caPath !== undefined ? readFileSync(m.caPath) : undefined);
  if (cert !== undefined) out.cert = cert;
  if (key !== undefined) out.key = key;
  if (ca !== undefined) out.ca = ca;
  return out;
}
