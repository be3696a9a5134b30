import { parseMessage, type SipRequest } from '@strata/parser';
import { describe, expect, it } from 'vitest';
import { statelessBranch } from '../src/proxy/branch-id.js';
import {
  forwardRequestStatelessly,
  forwardResponseStatelessly,
  responseDestination,
} from '../src/proxy/stateless.js';
import { LoopNetwork, ManualTimers } from './support/loop-transport.js';
import { Peer, requestText } from './support/sip.js';

const req = (spec: Parameters<typeof requestText>[0]): SipRequest =>
  parseMessage(Buffer.from(requestText(spec))) as SipRequest;
const opts = { secret: 's3cret', prefix: 'eD' };

describe('stateless branch (§16.11)', () => {
  it('is a pure function: a retransmission gets the same branch', () => {
    const a = statelessBranch(req({ method: 'INVITE', branch: 'z9hG4bKx1' }), opts);
    const b = statelessBranch(req({ method: 'INVITE', branch: 'z9hG4bKx1' }), opts);
    expect(a).toBe(b);
    expect(a).toMatch(/^z9hG4bKeD/);
  });

  it('CANCEL and the ACK for a non-2xx get the INVITE branch', () => {
    const invite = statelessBranch(req({ method: 'INVITE', branch: 'z9hG4bKx1' }), opts);
    expect(statelessBranch(req({ method: 'CANCEL', branch: 'z9hG4bKx1' }), opts)).toBe(invite);
    expect(statelessBranch(req({ method: 'ACK', branch: 'z9hG4bKx1', toTag: 't' }), opts)).toBe(
      invite,
    );
  });

  it('differs per transaction, per secret, and for RFC 2543 requests uses the whole top Via', () => {
    const base = statelessBranch(req({ method: 'INVITE', branch: 'z9hG4bKx1' }), opts);
    expect(statelessBranch(req({ method: 'INVITE', branch: 'z9hG4bKx2' }), opts)).not.toBe(base);
    expect(
      statelessBranch(req({ method: 'INVITE', branch: 'z9hG4bKx1' }), { secret: 'other' }),
    ).not.toBe(base);
    expect(statelessBranch(req({ method: 'BYE', branch: 'z9hG4bKx1', cseq: 2 }), opts)).not.toBe(
      base,
    );
    const old = (cseq: number) =>
      statelessBranch(req({ method: 'INVITE', via: 'SIP/2.0/UDP 10.0.0.1;branch=7', cseq }), opts);
    expect(old(1)).toBe(old(1));
    expect(old(1)).not.toBe(old(2));
  });
});

describe('stateless forwarding helpers', () => {
  it('forwards a request with its Via and routes the response back by received/rport', async () => {
    const timers = new ManualTimers();
    const net = new LoopNetwork({ timers });
    const edge = net.createTransport('10.0.0.10');
    const core = new Peer(net, '10.0.0.20');
    const caller = new Peer(net, '10.0.0.1', 5070);
    const r = req({
      method: 'INVITE',
      branch: 'z9hG4bKs1',
      via: 'SIP/2.0/UDP 192.168.1.5:5060;branch=z9hG4bKs1;received=10.0.0.1;rport=5070',
    });
    expect(
      await forwardRequestStatelessly(
        edge,
        r,
        { uri: r.uri, destination: { transport: 'udp', address: '10.0.0.20', port: 5060 } },
        opts,
      ),
    ).toBe(true);
    timers.advance(0);
    const fwd = core.lastRequest('INVITE');
    expect(fwd.vias).toHaveLength(2);
    expect(fwd.topVia?.params.get('branch')).toBe(
      statelessBranch(
        req({
          method: 'INVITE',
          via: 'SIP/2.0/UDP 192.168.1.5:5060;branch=z9hG4bKs1;received=10.0.0.1;rport=5070',
        }),
        opts,
      ),
    );
    const res = core.reply(fwd, 180);
    const back = res;
    expect(await forwardResponseStatelessly(edge, back)).toBe(true);
    timers.advance(0);
    expect(caller.responses(180)).toHaveLength(1);
    expect(responseDestination(back)).toEqual({
      transport: 'udp',
      address: '10.0.0.1',
      port: 5070,
    });
  });
});
