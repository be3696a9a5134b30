/**
 * No-answer forwarding through the real stateful proxy on a loop network with manual
 * timers (no wall-clock waits): alice's phone rings, Timer C fires at her noAnswerSeconds,
 * the proxy CANCELs her branch, the failure hook forwards to bob with History-Info cause 408.
 */
import { createResponse, parseMessage, type SipMessage, type SipRequest } from '@strata/parser';
import {
  LoopNetwork,
  ManualTimers,
  StatefulProxy,
  TransactionLayer,
  type LoopTransport,
} from '@strata/transaction';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { CallForwarding } from '../src/forwarding/call-forwarding.js';
import { forwardingSchema } from '../src/forwarding/forwarding-config.js';
import { MemoryForwardingStore } from '../src/forwarding/settings-store.js';

const log = pino({ level: 'silent' });

/** A phone on the loop network: answers each INVITE with `answer(req)` statuses, CANCEL with 200 + 487. */
function phone(t: LoopTransport, answer: number[]): { invites: SipRequest[]; cancels: number } {
  const seen = { invites: [] as SipRequest[], cancels: 0 };
  const tag = `tag-${t.port}`;
  t.onMessage((m: SipMessage, source) => {
    if (!m.isRequest) return;
    const req = m;
    const to = { address: source.address, port: source.port, transport: source.transport };
    if (req.method === 'INVITE') {
      seen.invites.push(req);
      for (const s of answer) void t.send(createResponse(req, s, undefined, { toTag: tag }), to);
    } else if (req.method === 'CANCEL') {
      seen.cancels++;
      void t.send(createResponse(req, 200), to);
      const invite = seen.invites[seen.invites.length - 1]!;
      void t.send(createResponse(invite, 487, undefined, { toTag: tag }), to);
    }
  });
  return seen;
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

describe('no-answer forwarding through the stateful proxy (manual timers)', () => {
  it('Timer C at noAnswerSeconds CANCELs alice, bob gets the call with History-Info cause=408', async () => {
    const timers = new ManualTimers();
    const net = new LoopNetwork({ timers });
    const proxyT = net.createTransport('10.0.0.10', 5060);
    const callerT = net.createTransport('10.0.0.1', 5060);
    const alice = phone(net.createTransport('10.0.0.2', 5060), [180]);
    const bob = phone(net.createTransport('10.0.0.3', 5060), [180, 200]);
    const store = new MemoryForwardingStore();
    await store.set('sip:alice@example.com', { noAnswer: 'bob', noAnswerSeconds: 5 });
    const contacts: Record<string, string> = {
      'sip:alice@example.com': '10.0.0.2',
      'sip:bob@example.com': '10.0.0.3',
    };
    const fwd = new CallForwarding(forwardingSchema.parse({}), {
      store,
      contacts: (aor) => {
        const ip = contacts[aor];
        return Promise.resolve(
          ip === undefined
            ? []
            : [
                {
                  uri: `sip:${aor.slice(4, aor.indexOf('@'))}@${ip}`,
                  destination: { transport: 'udp', address: ip, port: 5060 },
                },
              ],
        );
      },
      lcr: null,
      logger: log,
      now: () => timers.now(),
    });
    const layer = new TransactionLayer({ transport: proxyT, timers, logger: log });
    const proxy = new StatefulProxy(layer, {
      router: async (req) => {
        const out = await fwd.route(req);
        return 'targets' in out
          ? { action: 'relay', targets: out.targets }
          : { action: 'reply', status: out.reply.status, reason: out.reply.reason };
      },
      onFailure: (ctx) => fwd.onFailure(ctx),
      logger: log,
    });
    proxy.attach();
    const responses: number[] = [];
    callerT.onMessage((m) => {
      if (!m.isRequest) responses.push(m.status);
    });

    const invite =
      'INVITE sip:alice@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-caller-1\r\n' +
      'Max-Forwards: 70\r\nFrom: <sip:carol@example.com>;tag=c1\r\nTo: <sip:alice@example.com>\r\n' +
      'Call-ID: noanswer-1\r\nCSeq: 1 INVITE\r\nContact: <sip:carol@10.0.0.1>\r\nContent-Length: 0\r\n\r\n';
    void callerT.send(parseMessage(Buffer.from(invite)), {
      transport: 'udp',
      address: '10.0.0.10',
      port: 5060,
    });
    timers.advance(0);
    await settle();
    timers.advance(0);
    expect(alice.invites).toHaveLength(1);
    expect(responses).toContain(180);
    // 4.9 s: still ringing at alice, nothing at bob
    timers.advance(4900);
    await settle();
    expect(alice.cancels).toBe(0);
    expect(bob.invites).toHaveLength(0);
    // 5 s: Timer C → CANCEL → 487 → failure hook → bob
    timers.advance(100);
    await settle();
    timers.advance(0);
    await settle();
    timers.advance(0);
    expect(alice.cancels).toBe(1);
    expect(bob.invites).toHaveLength(1);
    expect(bob.invites[0]!.headers.get('history-info')).toBe(
      '<sip:alice@example.com>;index=1, <sip:bob@example.com;cause=408>;index=1.1;mp=1',
    );
    expect(responses).toContain(200);
    expect(responses).not.toContain(487);
    layer.close();
  });
});
