/** Turning a SIP URI into the Destination a branch is sent to (RFC 3263 simplified: no NAPTR/SRV). */
import { isIP } from 'node:net';
import { lookup } from 'node:dns/promises';
import { isSipUri, parseNameAddr, parseUri, type SipUri } from '@strata/parser';
import type { Destination, TransportProtocol } from '@strata/transport';

export function uriTransport(uri: SipUri): TransportProtocol {
  const t = uri.params.get('transport')?.toLowerCase();
  if (t === 'tcp' || t === 'tls' || t === 'ws' || t === 'wss' || t === 'udp') return t;
  return uri.scheme === 'sips' ? 'tls' : 'udp';
}

/**
 * The next hop for a URI: maddr if present, else host; the port, else the
 * transport's default; hostnames through the system resolver (A/AAAA).
 */
export async function destinationOf(uriText: string): Promise<Destination> {
  const uri = parseUri(uriText.startsWith('<') ? uriText.slice(1, uriText.indexOf('>')) : uriText);
  if (!isSipUri(uri)) throw new Error(`cannot route to ${uriText}`);
  const transport = uriTransport(uri);
  const maddr = uri.params.get('maddr');
  const host = maddr ?? (uri.host.startsWith('[') ? uri.host.slice(1, -1) : uri.host);
  const port = uri.port ?? (transport === 'tls' || transport === 'wss' ? 5061 : 5060);
  const address = isIP(host) !== 0 ? host : (await lookup(host)).address;
  return { transport, address, port };
}

/** The URI inside a Route/Path value (`<sip:…;lr>`). */
export function routeUri(value: string): string {
  const na = parseNameAddr(value);
  const u = na.uri;
  if (!isSipUri(u)) throw new Error(`not a SIP route: ${value}`);
  return value.slice(value.indexOf('<') + 1, value.indexOf('>'));
}
