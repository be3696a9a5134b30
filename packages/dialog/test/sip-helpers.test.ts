import { describe, expect, it } from 'vitest';
import { buildInDialogRequest } from '../src/originate/build-in-dialog-request.js';
import { buildHoldReinvite } from '../src/originate/hold-request.js';
import { buildRefer } from '../src/originate/refer-request.js';
import { ownRouteMatcher, routeSetsFromRecordRoute, routeToward } from '../src/sip/route-set.js';
import { offerHolds, summarizeSdp, withDirection } from '../src/sip/sdp-hold.js';
import { isReferEvent, isSipfrag, sipfragStatus } from '../src/sip/sipfrag.js';
import { callIdOfDialogId } from '../src/state/dialog-id.js';
import { dueAction } from '../src/timers/due-action.js';
import { confirm, earlyDialog } from './support/fixtures.js';
import { sdp } from './support/sip-messages.js';

const T0 = 1_700_000_000_000;
const own = ownRouteMatcher(['core-a.example.com']);

describe('SDP hold detection (RFC 3264 §8.4)', () => {
  it('reads direction at session and media level, and c=0.0.0.0', () => {
    expect(offerHolds(sdp())).toBe(false);
    expect(offerHolds(sdp('sendrecv'))).toBe(false);
    expect(offerHolds(sdp('sendonly'))).toBe(true);
    expect(offerHolds(sdp('recvonly'))).toBe(true);
    expect(offerHolds(sdp('inactive'))).toBe(true);
    expect(offerHolds(sdp(null, '0.0.0.0'))).toBe(true);
    const sessionLevel =
      'v=0\r\nc=IN IP4 10.0.0.1\r\na=sendonly\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';
    expect(offerHolds(sessionLevel)).toBe(true);
    // media level overrides session level
    expect(offerHolds(`${sessionLevel}a=sendrecv\r\n`)).toBe(false);
    // a rejected stream (port 0) does not count; the live video one is held
    const two =
      'v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 0 RTP/AVP 0\r\nm=video 5000 RTP/AVP 96\r\na=inactive\r\n';
    expect(summarizeSdp(two).map((m) => [m.port, m.direction])).toEqual([
      [0, 'sendrecv'],
      [5000, 'inactive'],
    ]);
    expect(offerHolds(two)).toBe(true);
  });

  it('rewrites the direction for the hold helper', () => {
    const held = withDirection(sdp('sendrecv'), 'sendonly');
    expect(held).toContain('a=sendonly\r\n');
    expect(held).not.toContain('a=sendrecv');
    expect(offerHolds(held)).toBe(true);
  });
});

describe('sipfrag (RFC 3515 §2.4.5, RFC 3420)', () => {
  it('parses the status line', () => {
    expect(sipfragStatus('SIP/2.0 200 OK\r\n')).toBe(200);
    expect(sipfragStatus(Buffer.from('SIP/2.0 503 Service Unavailable'))).toBe(503);
    expect(sipfragStatus('INVITE sip:x SIP/2.0')).toBeNull();
    expect(isReferEvent('refer;id=93809824')).toBe(true);
    expect(isReferEvent('presence')).toBe(false);
    expect(isSipfrag('message/sipfrag;version=2.0')).toBe(true);
  });
});

describe('route sets and originated requests (RFC 3261 §12.1, §12.2.1.1; ARCHITECTURE §5)', () => {
  const rr = ['<sip:core-a.example.com;lr>', '<sip:edge-1.example.com;lr>'];

  it('derives both route sets and the hops past this proxy', () => {
    const sets = routeSetsFromRecordRoute(rr);
    expect(sets.callee).toEqual(rr);
    expect(sets.caller).toEqual([...rr].reverse());
    const s = confirm(earlyDialog(1, T0), T0);
    expect(routeToward(s, 'callee', own)).toEqual([]);
    expect(routeToward(s, 'caller', own)).toEqual(['<sip:edge-1.example.com;lr>']);
    // not record-routed here: the whole route set of the other UA
    expect(routeToward(s, 'caller', () => false)).toEqual(rr);
    expect(own('<sip:CORE-A.example.com:5060;lr>')).toBe(true);
    expect(own('garbage')).toBe(false);
  });

  it('buildInDialogRequest: R-URI, Route, From/To per direction, CSeq last + 1, Max-Forwards', () => {
    const s = {
      ...confirm(earlyDialog(1, T0), T0),
      caller: { ...confirm(earlyDialog(1, T0), T0).caller, cseq: 7 },
    };
    const toCaller = buildInDialogRequest(s, 'caller', 'INFO', {
      isOwnRoute: own,
      body: 'hello',
      contentType: 'text/plain',
      headers: [['X-Test', '1']],
    });
    const r = toCaller.request;
    expect(r.method).toBe('INFO');
    expect(r.uri).toBe('sip:alice1@192.0.2.10:5060');
    expect(r.headers.getAll('route')).toEqual(['<sip:edge-1.example.com;lr>']);
    expect(r.headers.get('from')).toBe('<sip:bob1@example.net>;tag=tt1');
    expect(r.headers.get('to')).toBe('<sip:alice1@example.com>;tag=ft1');
    expect(r.cseq).toEqual({ seq: 1, method: 'INFO' });
    expect(r.maxForwards).toBe(70);
    expect(r.headers.get('content-length')).toBe('5');
    expect(r.headers.get('x-test')).toBe('1');
    expect(toCaller.state.callee.cseq).toBe(1);
    expect(toCaller.state.version).toBe(s.version + 1);

    const toCallee = buildInDialogRequest(toCaller.state, 'callee', 'BYE', { isOwnRoute: own });
    expect(toCallee.request.uri).toBe('sip:bob@198.51.100.7:5060');
    expect(toCallee.request.cseq).toEqual({ seq: 8, method: 'BYE' });
    expect(toCallee.request.fromTag).toBe('ft1');
    expect(toCallee.state.caller.cseq).toBe(8);

    const probe = buildInDialogRequest(s, 'callee', 'OPTIONS', { cseq: 'same' });
    expect(probe.request.cseq.seq).toBe(7);
    expect(probe.state).toBe(s);
  });

  it('hold and REFER builders', () => {
    const s = confirm(earlyDialog(1, T0), T0);
    const hold = buildHoldReinvite(s, 'callee', sdp(), true, { isOwnRoute: own });
    expect(hold.request.method).toBe('INVITE');
    expect(hold.request.headers.get('content-type')).toBe('application/sdp');
    expect(offerHolds(hold.request.body.toString())).toBe(true);
    expect(hold.request.headers.get('contact')).toBe('<sip:alice1@192.0.2.10:5060>');
    const resume = buildHoldReinvite(hold.state, 'callee', sdp(), false);
    expect(offerHolds(resume.request.body.toString())).toBe(false);
    expect(resume.request.cseq.seq).toBe(hold.request.cseq.seq + 1);

    const refer = buildRefer(s, 'caller', 'sip:carol@example.org', {
      referredBy: 'sip:pbx@example.com',
    });
    expect(refer.request.headers.get('refer-to')).toBe('<sip:carol@example.org>');
    expect(refer.request.headers.get('referred-by')).toBe('<sip:pbx@example.com>');
  });
});

describe('timer decisions', () => {
  it('picks what is due, early timeout only while early', () => {
    const early = earlyDialog(1, T0);
    expect(dueAction(early, T0)).toEqual({ kind: 'none' });
    expect(dueAction(early, T0 + 180_000)).toMatchObject({ kind: 'end', party: 'proxy-timeout' });
    const c = confirm(early, T0);
    expect(dueAction(c, T0 + 180_000)).toEqual({ kind: 'keepalive' });
    const expiring = { ...c, timers: { ...c.timers, sessionExpiresAt: T0 + 1 } };
    expect(dueAction(expiring, T0 + 10)).toMatchObject({ party: 'session-expired' });
    expect(callIdOfDialogId('a:b@h:ft:tt')).toBe('a:b@h');
    expect(callIdOfDialogId('c@h:ft:')).toBe('c@h');
  });
});
