/**
 * RFC 4475 (SIP torture tests) and RFC 5118 (IPv6 torture tests), one case
 * per message of test/fixtures/manifest.json: valid messages parse (and a
 * proxy's validateRequest lets them through), invalid-syntax ones are
 * rejected with the RFC's status (undefined = drop a response) by
 * parseMessage or, for the grammar of the structured values the hot path only
 * locates, by validateRequest (REJECTED_BY_VALIDATE says which); a strict
 * parse (`{ strict: true }`) rejects all of them itself. Invalid-semantic ones
 * parse and validation names the status.
 */
import { describe, expect, it } from 'vitest';
import {
  hostOf,
  isSipUri,
  parseAuth,
  parseMessage,
  parseUri,
  readContacts,
  readContentType,
  serializeMessage,
  SipParseError,
  SipRequest,
  SipResponse,
  unescapeUriPart,
  uriEquals,
  validateRequest,
  validateResponse,
  type ParseOptions,
  type SipUri,
  type Uri,
  type ValidateOptions,
} from '../src/index.js';
import { fixture, FIXTURES, fixtureBytes, nameOf, type Fixture } from './fixtures.js';

function parseError(bytes: Buffer, options?: ParseOptions): SipParseError {
  try {
    parseMessage(bytes, options);
  } catch (e) {
    if (e instanceof SipParseError) return e;
    throw e;
  }
  throw new Error('parseMessage accepted the message');
}

function sip(u: Uri): SipUri {
  if (!isSipUri(u)) throw new Error(`not a SIP URI: ${u.scheme}`);
  return u;
}

/**
 * Where the manifest names a status that only an endpoint or registrar sends,
 * the test checks what a proxy does (forward: null) and that the other role
 * gets the manifest's status. Each entry quotes RFC 4475.
 */
const ROLE_DEPENDENT: Record<string, { role: NonNullable<ValidateOptions['role']>; why: string }> =
  {
    // §3.3.4: "Proxies should treat this message as they would any other request
    // for this URI. A registrar would reject this request with a 400 Bad Request"
    unksm2: { role: 'registrar', why: 'registrar rejects a non-SIP AOR' },
    // §3.3.6: "A proxy receiving this request would process it just as it would
    // any other INVITE. An endpoint receiving this request would reject it with a 415"
    invut: { role: 'uas', why: 'endpoint rejects an unknown body type' },
    // §3.3.15: "The recipient of this request could respond with a 406 Not
    // Acceptable" (the recipient is the UAS; a proxy does not read Accept)
    sdp01: { role: 'uas', why: 'endpoint cannot answer in any accepted type' },
  };

/**
 * Invalid-syntax messages whose fault is in the grammar of a value that
 * parseMessage only locates (Request-URI, Via, From, To, Contact, Route,
 * Record-Route, Date): the default parse accepts them and validateRequest,
 * which a server calls before acting, answers the status. Every other
 * invalid-syntax message (start line, framing, CSeq / Content-Length /
 * Max-Forwards, a response's status code) is rejected by parseMessage itself.
 */
const REJECTED_BY_VALIDATE: Record<string, string> = {
  badinv01: 'Via "192.0.2.15;;,;,,": empty parameters and list elements (BAD_VIA)',
  quotbal: 'unbalanced quotes in the To display name (BAD_NAME_ADDR)',
  ltgtruri: 'Request-URI enclosed in <> (BAD_URI)',
  baddate: 'Date zone "EST" instead of GMT (BAD_HEADER_VALUE)',
  regbadct: 'Contact addr-spec with URI headers, which need <> (BAD_URI)',
  badaspec: 'LWS inside <> of the To URI (BAD_URI)',
  'ipv6-bad': 'Request-URI IPv6 address without brackets (BAD_URI)',
};

describe('RFC 4475 / RFC 5118 fixtures', () => {
  it('has all 61 messages', () => {
    expect(FIXTURES).toHaveLength(61);
  });

  for (const f of FIXTURES) {
    const name = nameOf(f);
    const title = `${name} (RFC ${f.rfc} §${f.section}): ${f.expect}${f.status === null ? '' : ` ${f.status}`}`;
    it(title, () => check(f, name));
  }
});

function check(f: Fixture, name: string): void {
  const bytes = fixtureBytes(f.file);
  if (f.expect === 'invalid-syntax') {
    // a strict parse rejects every one of them at the door
    expect(parseError(bytes, { strict: true }).status).toBe(f.status ?? undefined);
    if (REJECTED_BY_VALIDATE[name] === undefined) {
      // rejected by parseMessage (start line, framing, hot scalars)
      expect(parseError(bytes).status).toBe(f.status ?? undefined);
      return;
    }
    // rejected by validateRequest: the hot path only located the bad value
    const located = parseMessage(bytes);
    expect(located).toBeInstanceOf(SipRequest);
    expect(validateRequest(located as SipRequest)?.status).toBe(f.status);
    return;
  }
  const msg = parseMessage(bytes);
  // a strict parse accepts every message that is not invalid-syntax
  expect(() => parseMessage(bytes, { strict: true })).not.toThrow();
  expect(msg.isRequest).toBe(f.kind === 'request');
  if (f.expect === 'valid') {
    if (msg instanceof SipRequest) expect(validateRequest(msg)).toBeNull();
    else expect(validateResponse(msg)).toBeNull();
    return;
  }
  // invalid-semantic
  if (msg instanceof SipResponse) {
    // a response is never answered: the check says "drop"
    expect(f.status).toBeNull();
    expect(validateResponse(msg)).not.toBeNull();
    return;
  }
  const req = msg;
  const roleDependent = ROLE_DEPENDENT[name];
  if (roleDependent !== undefined) {
    expect(validateRequest(req)).toBeNull();
    expect(validateRequest(req, { role: roleDependent.role })?.status).toBe(f.status);
    return;
  }
  expect(validateRequest(req)?.status).toBe(f.status);
}

describe('RFC 4475 §3.1.1 valid messages: structure', () => {
  it('wsinv: whitespace, folding, compact forms and case are all understood', () => {
    const m = parseMessage(fixture('wsinv')) as SipRequest;
    expect(m.method).toBe('INVITE');
    expect(sip(m.requestUri).params.has('unknownparam')).toBe(true);
    expect(sip(m.to.uri).user).toBe('vivekg');
    expect(m.toTag).toBe('1918181833n');
    expect(m.from.displayName).toBe('J Rosenberg \\"');
    expect(m.fromTag).toBe('98asjd8');
    expect(m.maxForwards).toBe(68);
    expect(m.cseq).toEqual({ seq: 9, method: 'INVITE' });
    expect(m.callId).toBe('wsinv.ndaksdj@192.0.2.1');
    expect(m.vias.map((v) => [v.transport, v.host, v.params.get('branch')])).toEqual([
      ['UDP', '192.0.2.2', '390skdjuw'],
      ['TCP', 'spindle.example.com', 'z9hG4bK9ikj8'],
      ['UDP', '192.168.255.111', 'z9hG4bK30239'],
    ]);
    expect(m.headers.get('NewFangledHeader')).toBe('newfangled value continued newfangled value');
    expect(m.headers.get('subject')).toBe('');
    expect(m.headers.get('UnknownHeaderWithUnusualValue')).toBe(';;,,;;,;');
    expect(m.routes).toHaveLength(1);
    expect(sip(m.routes[0]!.uri).params.get('unknownwith')).toBe('value');
    const contacts = readContacts(m.headers);
    expect(contacts).not.toBe('*');
    const [c] = contacts as Exclude<typeof contacts, '*'>;
    expect(c?.displayName).toBe('Quoted string ""');
    expect(c?.q).toBe(0.33);
    expect(c?.params.get('newparam')).toBe('newvalue');
    expect(c?.params.has('secondparam')).toBe(true);
    expect(m.body.length).toBe(150);
  });

  it('intmeth: unusual but legal tokens, URI characters and quoted-pairs', () => {
    const m = parseMessage(fixture('intmeth')) as SipRequest;
    expect(m.method).toBe("!interesting-Method0123456789_*+`.%indeed'~");
    expect(m.cseq.method).toBe(m.method);
    const ruri = sip(m.requestUri);
    expect(ruri.user).toBe("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
    expect(ruri.password).toBe("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
    expect(ruri.host).toBe('example.com');
    expect(m.from.displayName).toBe("token1~` token2'+_ token3*%!.-");
    expect(m.fromTag).toBe("_token~1'+`*%!-.");
    expect(m.to.displayName).toMatch(/^BEL:/);
    expect(m.callId).toBe('intmeth.word%ZK-!.*_+\'@word`~)(><:\\/"][?}{');
    expect(m.maxForwards).toBe(255);
  });

  it('esc01: escaped user parts unescape, and compare equal to their plain forms', () => {
    const m = parseMessage(fixture('esc01')) as SipRequest;
    expect(unescapeUriPart(sip(m.requestUri).user!)).toBe('sips:user@example.com');
    expect(unescapeUriPart(sip(m.to.uri).user!)).toBe('user');
    expect(unescapeUriPart(sip(m.from.uri).user!)).toBe('I have spaces');
    expect(uriEquals(m.to.uri, parseUri('sip:user@example.com'))).toBe(true);
    const contacts = readContacts(m.headers) as { uri: Uri }[];
    expect(
      uriEquals(contacts[0]!.uri, parseUri('sip:caller@host5.example.net;lr;name=value%2541')),
    ).toBe(true);
    expect(readContentType(m.headers)?.subtype).toBe('sdp');
  });

  it('escnull: %00 is a legal escape; the two contacts stay distinct', () => {
    const m = parseMessage(fixture('escnull')) as SipRequest;
    expect(unescapeUriPart(sip(m.to.uri).user!)).toBe('null-\0-null');
    const contacts = readContacts(m.headers) as { uri: Uri }[];
    expect(contacts.map((c) => unescapeUriPart(sip(c.uri).user!))).toEqual(['\0', '\0\0']);
    expect(uriEquals(contacts[0]!.uri, contacts[1]!.uri)).toBe(false);
  });

  it('esc02: "%" that is not an escape in a method, display name and header name', () => {
    const m = parseMessage(fixture('esc02')) as SipRequest;
    expect(m.method).toBe('RE%47IST%45R');
    expect(m.to.displayName).toBe('%Z%45');
    expect(m.headers.values('contact')).toHaveLength(2);
    expect(m.headers.get('C%6Fntact')).toBe('<sip:alias2@host2.example.com>');
    expect(m.topVia?.params.get('branch')).toBe('z9hG4bK209%fzsnel234');
  });

  it('lwsdisp: no LWS between display name and "<"', () => {
    const m = parseMessage(fixture('lwsdisp')) as SipRequest;
    expect(m.from.displayName).toBe('caller');
    expect(sip(m.from.uri).user).toBe('caller');
  });

  it('longreq: long values and many of them', () => {
    const m = parseMessage(fixture('longreq')) as SipRequest;
    expect(m.to.displayName).toMatch(/^I have a user name of (extreme){10} proportion$/);
    expect(sip(m.to.uri).port).toBe(6000);
    expect(m.fromTag).toMatch(/^1(298)+2424$/);
    expect(m.vias.length).toBeGreaterThan(10);
    expect(m.body.length).toBe(150);
  });

  it('dblreq: trailing octets of a datagram are ignored (RFC 3261 §18.3)', () => {
    const bytes = fixture('dblreq');
    const m = parseMessage(bytes) as SipRequest;
    expect(m.method).toBe('REGISTER');
    expect(m.body.length).toBe(0);
    const end = bytes.indexOf('\r\n\r\n') + 4;
    expect(serializeMessage(m).equals(bytes.subarray(0, end))).toBe(true);
  });

  it('semiuri: ";" in the user part of a Request-URI', () => {
    const u = sip((parseMessage(fixture('semiuri')) as SipRequest).requestUri);
    expect(u.user).toBe('user;par=u%40example.net');
    expect(u.host).toBe('example.com');
    expect(u.params.size).toBe(0);
  });

  it('transports: known and unknown Via transports', () => {
    const m = parseMessage(fixture('transports'));
    expect(m.vias.map((v) => v.transport)).toEqual(['UDP', 'SCTP', 'TLS', 'UNKNOWN', 'TCP']);
  });

  it('mpart01: a multipart body with binary octets is kept as is', () => {
    const m = parseMessage(fixture('mpart01'));
    expect(readContentType(m.headers)?.type).toBe('multipart');
    expect(m.body.length).toBe(553);
  });

  it('unreason / noreason: unusual and empty reason phrases', () => {
    const u = parseMessage(fixture('unreason')) as SipResponse;
    expect(u.status).toBe(200);
    // reason phrase bytes are UTF-8; the string is their latin1 view (byte-exact round trip)
    expect(Buffer.from(u.reason, 'latin1').toString('utf8')).toMatch(/^= 2\*\*3 \* 5\*\*2 но/);
    const n = parseMessage(fixture('noreason')) as SipResponse;
    expect(n.status).toBe(100);
    expect(n.reason).toBe('');
  });
});

describe('RFC 4475 §3.2–§3.4: structure of the valid ones', () => {
  it('badbranch: a bare magic cookie is a syntactically valid branch', () => {
    expect(parseMessage(fixture('badbranch')).topVia?.params.get('branch')).toBe('z9hG4bK');
  });

  it('regaut01: an unknown authorization scheme parses', () => {
    const m = parseMessage(fixture('regaut01'));
    const auth = parseAuth(m.headers.get('authorization')!);
    expect(auth.scheme).toBe('NoOneKnowsThisScheme');
    expect(auth.params.get('opaque-data')).toBe('here');
  });

  it('cparam01 / cparam02: contact-param versus url-parameter', () => {
    const [c1] = readContacts(parseMessage(fixture('cparam01')).headers) as {
      uri: Uri;
      params: Map<string, string | null>;
    }[];
    expect(c1!.params.has('unknownparam')).toBe(true);
    expect(sip(c1!.uri).params.has('unknownparam')).toBe(false);
    const [c2] = readContacts(parseMessage(fixture('cparam02')).headers) as {
      uri: Uri;
      params: Map<string, string | null>;
    }[];
    expect(c2!.params.has('unknownparam')).toBe(false);
    expect(sip(c2!.uri).params.has('unknownparam')).toBe(true);
  });

  it('regescrt: an escaped header inside <> is kept in the contact URI', () => {
    const [c] = readContacts(parseMessage(fixture('regescrt')).headers) as { uri: Uri }[];
    expect(sip(c!.uri).headers).toBe('Route=%3Csip:sip.example.com%3E');
  });

  it('inv2543: RFC 2543 syntax (no branch, no tag, no Content-Length, no Max-Forwards)', () => {
    const m = parseMessage(fixture('inv2543')) as SipRequest;
    expect(m.topVia?.params.has('branch')).toBe(false);
    expect(m.fromTag).toBeNull();
    expect(m.contentLength).toBeNull();
    expect(m.maxForwards).toBeNull();
    expect(m.body.length).toBe(105);
  });

  it('badvers: SIP/7.0 parses; a server answers 505', () => {
    const m = parseMessage(fixture('badvers')) as SipRequest;
    expect(m.version).toBe('SIP/7.0');
    expect(validateRequest(m)).toMatchObject({ status: 505, code: 'VERSION_NOT_SUPPORTED' });
  });

  it('mismatch01 / mismatch02: 400 for a known method, 501 for an unknown one', () => {
    const m1 = parseMessage(fixture('mismatch01')) as SipRequest;
    expect(validateRequest(m1)?.status).toBe(400);
    const m2 = parseMessage(fixture('mismatch02')) as SipRequest;
    expect(validateRequest(m2)?.status).toBe(501);
    // RFC 4475 §3.1.2.18: "A 400 Bad Request is also acceptable"; an element
    // that knows the method answers 400
    expect(validateRequest(m2, { knownMethods: ['NEWMETHOD'] })?.status).toBe(400);
  });

  it('bext01: 420 lists the unknown Proxy-Require tags (or Require tags at a UAS)', () => {
    const m = parseMessage(fixture('bext01')) as SipRequest;
    expect(validateRequest(m)?.headers).toEqual([
      ['Unsupported', 'noProxiesSupportThis, norDoAnyProxiesSupportThis'],
    ]);
    expect(validateRequest(m, { role: 'uas' })?.headers).toEqual([
      ['Unsupported', 'nothingSupportsThis, nothingSupportsThisEither'],
    ]);
  });

  it('bcast: a proxy drops a response whose Via names the broadcast address', () => {
    const m = parseMessage(fixture('bcast')) as SipResponse;
    expect(validateResponse(m)?.code).toBe('BROADCAST_VIA');
  });

  it('baddn: rejected for its display names even with the missing empty line added', () => {
    // the archive's file lacks the blank line after "l: 0" (fixtures/README.md)
    const bytes = Buffer.concat([fixture('baddn'), Buffer.from('\r\n')]);
    // "Bell, Alexander <…>" reads as the addr-spec "Bell," which has no scheme
    expect(validateRequest(parseMessage(bytes) as SipRequest)).toMatchObject({
      status: 400,
      code: 'BAD_URI',
    });
    expect(parseError(bytes, { strict: true })).toMatchObject({ status: 400, code: 'BAD_URI' });
  });

  it('the syntax failures name the offending element (parse, validate and strict parse agree)', () => {
    const codeOf = (n: string): string => {
      if (REJECTED_BY_VALIDATE[n] === undefined) return parseError(fixture(n)).code;
      return validateRequest(parseMessage(fixture(n)) as SipRequest)?.code ?? 'accepted';
    };
    const names = [
      'badinv01',
      'quotbal',
      'ltgtruri',
      'badaspec',
      'regbadct',
      'baddate',
      'ncl',
      'scalar02',
    ];
    const codes = Object.fromEntries(names.map((n) => [n, codeOf(n)]));
    const strictCodes = Object.fromEntries(
      names.map((n) => [n, parseError(fixture(n), { strict: true }).code]),
    );
    expect(strictCodes).toEqual(codes);
    expect(codes).toEqual({
      badinv01: 'BAD_VIA',
      quotbal: 'BAD_NAME_ADDR',
      ltgtruri: 'BAD_URI',
      badaspec: 'BAD_URI',
      regbadct: 'BAD_URI',
      baddate: 'BAD_HEADER_VALUE',
      ncl: 'BAD_CONTENT_LENGTH',
      scalar02: 'BAD_CSEQ',
    });
  });
});

describe('RFC 5118 IPv6 messages: hosts parse and compare', () => {
  const ruri = (name: string): SipUri =>
    sip((parseMessage(fixture(name)) as SipRequest).requestUri);

  it('§4.1 ipv6-good', () => {
    const m = parseMessage(fixture('ipv6-good')) as SipRequest;
    expect(ruri('ipv6-good').host).toBe('[2001:db8::10]');
    expect(hostOf(ruri('ipv6-good'))).toBe('2001:db8::10');
    expect(m.topVia?.host).toBe('[2001:db8::9:1]');
    const [c] = readContacts(m.headers) as { uri: Uri }[];
    expect(sip(c!.uri).host).toBe('[2001:db8::1]');
  });

  it('§4.3 / §4.4: the port sits outside the brackets or not at all', () => {
    expect(ruri('port-ambiguous')).toMatchObject({ host: '[2001:db8::10:5070]', port: null });
    expect(ruri('port-unambiguous')).toMatchObject({ host: '[2001:db8::10]', port: 5070 });
    expect(uriEquals(ruri('port-unambiguous'), ruri('ipv6-good'))).toBe(false);
    expect(uriEquals(ruri('port-unambiguous'), parseUri('sip:[2001:DB8:0::10]:5070'))).toBe(true);
  });

  it('§4.5: received= with and without brackets', () => {
    const withDelim = parseMessage(fixture('via-received-param-with-delim'));
    const noDelim = parseMessage(fixture('via-received-param-no-delim'));
    expect(withDelim.topVia?.params.get('received')).toBe('[2001:db8::9:255]');
    expect(noDelim.topVia?.params.get('received')).toBe('2001:db8::9:255');
    expect(withDelim.topVia?.params.get('branch')).toBe('z9hG4bKas3-111');
  });

  it('§4.7: IPv6 and IPv4 sent-by hosts with ports', () => {
    const m = parseMessage(fixture('mult-ip-in-header'));
    expect(m.vias.map((v) => [v.host, v.port])).toEqual([
      ['[2001:db8::9:1]', 6050],
      ['192.0.2.1', null],
      ['[2001:db8::9:255]', null],
    ]);
  });

  it('§4.6 / §4.8 / §4.9: IPv6 in SDP and IPv4-mapped addresses', () => {
    expect(parseMessage(fixture('ipv6-in-sdp')).body.toString()).toMatch(/IN IP6 2001:db8::/);
    expect(parseMessage(fixture('mult-ip-in-sdp')).body.length).toBe(189);
    const m = parseMessage(fixture('ipv4-mapped-ipv6'));
    expect(m.topVia?.host).toBe('[::ffff:192.0.2.10]');
    expect(m.topVia?.port).toBe(19823);
    const [c] = readContacts(m.headers) as { uri: Uri; displayName: string | null }[];
    expect(c!.displayName).toBe('T. desk phone');
    expect(uriEquals(c!.uri, parseUri('sip:ted@[::FFFF:c000:0202]'))).toBe(true);
  });

  it('§4.10: the three-colon form is tolerated, the two-colon form compares by value', () => {
    expect(ruri('ipv6-bug-abnf-3-colons').host).toBe('[2001:db8:::192.0.2.1]');
    const two = ruri('ipv6-correct-abnf-2-colons');
    expect(two.host).toBe('[2001:db8::192.0.2.1]');
    expect(uriEquals(two, parseUri('sip:user@[2001:0db8:0:0:0:0:c000:0201]'))).toBe(true);
  });
});
