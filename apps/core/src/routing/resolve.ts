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
  const alias = aliasOf(uri);
  if (alias !== null) return alias;
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

/** The transport a URI text asks for (sip: → udp unless ;transport=). */
export function uriTransportOf(uriText: string): TransportProtocol {
  const uri = parseUri(uriText.startsWith('<') ? uriText.slice(1, uriText.indexOf('>')) : uriText);
  if (!isSipUri(uri)) throw new Error(`not a SIP URI: ${uriText}`);
  return uriTransport(uri);
}

/**
 * The NAT alias a core added to a Contact (`;alias=203.0.113.7~40312~udp`, the idea of
 * Kamailio's add_contact_alias): where the UA really is. Null when absent or malformed.
 */
export function aliasOf(uri: SipUri): Destination | null {
  const a = uri.params.get('alias');
  if (a == null) return null;
  const [address, port, t] = a.split('~');
  const p = Number(port);
  if (address === undefined || isIP(address) === 0 || !Number.isInteger(p) || p < 1 || p > 65535)
    return null;
  const transport = (t ?? 'udp').toLowerCase();
  if (
    transport !== 'udp' &&
    transport !== 'tcp' &&
    transport !== 'tls' &&
    transport !== 'ws' &&
    transport !== 'wss'
  )
    return null;
  return { transport, address, port: p };
}

/** The Request-URI with our alias parameter removed (the UA gets back the Contact it sent). */
export function stripAlias(uriText: string): string {
  return uriText.replace(/;alias=[^;?>]*/i, '');
}
