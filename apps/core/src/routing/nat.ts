/**
 * NAT traversal for UAs that talk to this core directly (RFC 3581 covers responses; this
 * covers requests towards them). When a dialog-forming request comes straight from its UA
 * (one Via) and its Contact names another address than the packet's source, the Contact
 * URI gets `;alias=<source address>~<port>~<transport>`. The peer then uses that URI as
 * the remote target, so every in-dialog request towards the UA carries the alias in its
 * Request-URI; this core (on its Record-Route) sends it to the alias and strips the
 * parameter, so the UA sees the Contact it sent. The URI stays an opaque, valid SIP URI
 * (an unknown parameter), which is the standards-friendly variant of "fix the Contact".
 * Behind the edge this is not needed: the edge's flow tokens in Record-Route/Path do it.
 */
import { isSipUri, parseContact, serializeUri, type SipRequest } from '@strata/parser';
import { portText, type MessageSource } from '@strata/transport';

/** True when a Contact was aliased. */
export function aliasContact(req: SipRequest, source: MessageSource): boolean {
  if (req.vias.length !== 1) return false;
  const values = req.headers.values('contact');
  const value = values[0];
  if (values.length !== 1 || value === undefined || value === '*') return false;
  let uriText: string;
  try {
    const c = parseContact(value);
    if (!isSipUri(c.uri) || c.uri.params.has('alias')) return false;
    const host = c.uri.host.startsWith('[') ? c.uri.host.slice(1, -1) : c.uri.host;
    const port = c.uri.port ?? 5060;
    if (host === source.address && port === source.port) return false;
    uriText = serializeUri(c.uri);
  } catch {
    return false;
  }
  const alias = `;alias=${source.address}~${portText(source.port)}~${source.transport}`;
  const at = value.indexOf(uriText);
  const next =
    at >= 0
      ? value.slice(0, at + uriText.length) + alias + value.slice(at + uriText.length)
      : value.includes('>')
        ? value.replace('>', `${alias}>`)
        : `<${value}${alias}>`;
  req.headers.set('Contact', next);
  return true;
}
