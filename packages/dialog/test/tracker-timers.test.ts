import { describe, expect, it } from 'vitest';
import { dialogId } from '../src/state/dialog-id.js';
import { ALICE, BOB, CORE_RR, Call, EDGE_RR, sdp } from './support/sip-messages.js';
import { World, startNode, type Node } from './support/tracker-harness.js';

const profile = { key: 'trunk-1', limit: 2 };

async function answered(node: Node, callId: string, extras: { maxDurationMs?: number } = {}) {
  const call = new Call(callId);
  const verdict = await node.tracker.onRequest(call.invite(), {
    source: { host: '192.0.2.10', port: 5060, transport: 'udp' },
    call: { profiles: [profile], ...extras },
  });
  expect(verdict.action).toBe('relay');
  await node.tracker.onResponse(call.inviteResponse(180, 'b'));
  await node.tracker.onResponse(call.inviteResponse(200, 'b'), {
    host: '198.51.100.7',
    port: 5060,
    transport: 'tcp',
  });
  // two requests from the caller so its CSeq is 3, none from the callee (0)
  await node.tracker.onRequest(call.request('caller', 'INFO', 'b'));
  await node.tracker.onRequest(call.request('caller', 'INFO', 'b'));
  return { call, id: dialogId(callId, call.fromTag, 'b') };
}

describe('DialogTracker: keep-alives, timeouts and zombies', () => {
  it('callee stops answering: within interval × limit both sides get a BYE, CDR keepalive-failed', async () => {
    const world = new World();
    const node = startNode(world, 'core-a', { keepaliveIntervalMs: 30_000, keepaliveFailures: 2 });
    const { id, call } = await answered(node, 'ka@x');
    const t0 = world.time.t;

    await node.clock.advance(30_000);
    const probes = node.sender.of('OPTIONS');
    expect(probes.map((p) => p.target.side).sort()).toEqual(['callee', 'caller']);
    const probeToCallee = node.sender.of('OPTIONS', 'callee')[0]!.request;
    expect(probeToCallee.uri).toBe(BOB.contact);
    // keep-alives reuse the last CSeq so they never push the UAs' CSeq space
    expect(probeToCallee.cseq).toEqual({ seq: 3, method: 'OPTIONS' });

    node.sender.answer('callee', 'OPTIONS', { error: 'timeout' });
    await node.clock.advance(30_000); // failure 1
    expect(await world.store.get(id)).toMatchObject({ callee: { keepaliveFailures: 1 } });
    node.sender.answer('callee', 'OPTIONS', { status: 481 });
    await node.clock.advance(30_000); // failure 2 → end
    expect(world.time.t - t0).toBeLessThanOrEqual(30_000 * 3);
    expect(await world.store.get(id)).toBeNull();

    const toCallee = node.sender.of('BYE', 'callee');
    const toCaller = node.sender.of('BYE', 'caller');
    expect(toCallee).toHaveLength(1);
    expect(toCaller).toHaveLength(1);
    const byeCallee = toCallee[0]!.request;
    const byeCaller = toCaller[0]!.request;
    // towards the callee: R-URI its Contact; core-a is the last hop before it (RR: core-a, edge-1)
    expect(byeCallee.uri).toBe(BOB.contact);
    expect(byeCallee.headers.getAll('route')).toEqual([]);
    expect(byeCallee.cseq).toEqual({ seq: 4, method: 'BYE' }); // caller's space: 3 + 1
    expect([byeCallee.fromTag, byeCallee.toTag]).toEqual([call.fromTag, 'b']);
    expect(byeCallee.from.uri).toMatchObject({ user: 'alice', host: 'example.com' });
    // towards the caller: through edge-1, tags swapped, callee's CSeq space (0 + 1)
    expect(byeCaller.uri).toBe(ALICE.contact);
    expect(byeCaller.headers.getAll('route')).toEqual([EDGE_RR]);
    expect(byeCaller.cseq).toEqual({ seq: 1, method: 'BYE' });
    expect([byeCaller.fromTag, byeCaller.toTag]).toEqual(['b', call.fromTag]);
    expect(byeCaller.headers.get('call-id')).toBe('ka@x');
    expect(byeCaller.maxForwards).toBe(70);
    expect(byeCaller.headers.get('via')).toBeUndefined(); // the transaction layer adds it
    expect(toCaller[0]!.target).toMatchObject({ dialogId: id, source: { host: '192.0.2.10' } });

    expect(world.cdrs).toHaveLength(1);
    expect(world.cdrs[0]).toMatchObject({
      hangupParty: 'keepalive-failed',
      disposition: 'ANSWERED',
    });
    expect(node.tracker.metrics()).toMatchObject({
      active: 0,
      keepaliveFailures: 2,
      keepalivesSent: 6,
      terminated: { 'keepalive-failed': 1 },
    });
    expect(await world.profiles.count(profile.key)).toBe(0);
  });

  it('a successful probe or any request from the side resets its failure count', async () => {
    const world = new World();
    const node = startNode(world, 'core-a', { keepaliveIntervalMs: 30_000, keepaliveFailures: 2 });
    const { id, call } = await answered(node, 'ka-reset@x');
    node.sender.answer('callee', 'OPTIONS', { error: 'transport' });
    await node.clock.advance(30_000);
    expect((await world.store.get(id))?.callee.keepaliveFailures).toBe(1);
    await node.tracker.onRequest(call.request('callee', 'INFO', 'b'));
    expect((await world.store.get(id))?.callee.keepaliveFailures).toBe(0);
    await node.clock.advance(30_000);
    expect(await world.store.get(id)).not.toBeNull();
    node.sender.answer('callee', 'OPTIONS', { status: 405 }); // an answer: alive
    await node.clock.advance(120_000);
    expect(await world.store.get(id)).not.toBeNull();
  });

  it('max call duration ends the call with BYEs; counted from the answer', async () => {
    const world = new World();
    const node = startNode(world, 'core-a', { keepaliveIntervalMs: 0 });
    world.time.t += 0;
    const call = new Call('max@x');
    await node.tracker.onRequest(call.invite(), { call: { maxDurationMs: 60_000 } });
    await node.clock.advance(10_000); // rings 10 s
    await node.tracker.onResponse(call.inviteResponse(200, 'b'));
    await node.clock.advance(59_000);
    expect(node.tracker.metrics().active).toBe(1);
    await node.clock.advance(1_000);
    expect(node.tracker.metrics().active).toBe(0);
    expect(node.sender.of('BYE')).toHaveLength(2);
    expect(world.cdrs[0]).toMatchObject({ hangupParty: 'max-duration', billableSec: 60 });
  });

  it("request(): an INFO to one party in its peer's name, next CSeq; refused for dialog-changing methods", async () => {
    const world = new World();
    const node = startNode(world, 'core-a', { keepaliveIntervalMs: 0 });
    const { id, call } = await answered(node, 'info@x');
    const body = 'Signal=*\r\nDuration=160\r\n';
    expect(
      await node.tracker.request(id, 'callee', 'INFO', {
        body,
        contentType: 'application/dtmf-relay',
      }),
    ).toEqual({ status: 200 });
    const info = node.sender.of('INFO', 'callee')[0]!.request;
    expect(info.uri).toBe(BOB.contact);
    expect(info.cseq).toEqual({ seq: 4, method: 'INFO' }); // the caller's 3 + 1
    expect([info.fromTag, info.toTag]).toEqual([call.fromTag, 'b']);
    expect(info.headers.get('content-type')).toBe('application/dtmf-relay');
    expect(info.body.toString()).toBe(body);
    expect((await world.store.get(id))?.caller.cseq).toBe(4);
    await expect(node.tracker.request(id, 'callee', 'BYE')).rejects.toThrow(RangeError);
    expect(await node.tracker.request('nope', 'callee', 'INFO')).toBeNull();
  });

  it('setMaxDuration at runtime: a later limit is re-armed, a passed one ends the call at once', async () => {
    const world = new World();
    const node = startNode(world, 'core-a', { keepaliveIntervalMs: 0 });
    const a = await answered(node, 'rt1@x', { maxDurationMs: 3_600_000 });
    const b = await answered(node, 'rt2@x');
    await node.clock.advance(60_000);
    // a: lowered to 2 min from answer → ends 60 s later; b: had no limit, now 30 s → over it
    expect((await node.tracker.setMaxDuration(a.id, 120_000))?.timers.maxDurationAt).toBe(
      world.time.t + 60_000,
    );
    await node.tracker.setMaxDuration(b.id, 30_000);
    await node.clock.advance(0);
    expect(await world.store.get(b.id)).toBeNull();
    expect(await world.store.get(a.id)).not.toBeNull();
    await node.clock.advance(59_999);
    expect(await world.store.get(a.id)).not.toBeNull();
    await node.clock.advance(1);
    expect(await world.store.get(a.id)).toBeNull();
    expect(world.cdrs.map((c) => c.hangupParty)).toEqual(['max-duration', 'max-duration']);
    expect(await node.tracker.setMaxDuration(a.id, 1000)).toBeNull();
  });

  it('early-dialog timeout ends an unanswered call (no BYE; the core is told to CANCEL)', async () => {
    const world = new World();
    const node = startNode(world, 'core-a', { earlyTimeoutMs: 120_000 });
    const call = new Call('early@x');
    await node.tracker.onRequest(call.invite(), { call: { profiles: [profile] } });
    await node.tracker.onResponse(call.inviteResponse(180, 'b1'));
    await node.tracker.onResponse(call.inviteResponse(180, 'b2'));
    expect(await world.profiles.count(profile.key)).toBe(1);
    await node.clock.advance(120_000);
    expect(await world.store.findByCallId(call.callId)).toEqual([]);
    expect(node.sender.sent).toHaveLength(0);
    expect(world.cdrs).toHaveLength(1);
    expect(world.cdrs[0]).toMatchObject({ disposition: 'NO ANSWER', hangupParty: 'proxy-timeout' });
    const ended = node.events.find((e) => e.type === 'terminated');
    expect(ended).toMatchObject({ wasEarly: true, party: 'proxy-timeout' });
    expect(await world.profiles.count(profile.key)).toBe(0);
  });

  it('no zombies: after every timer fired the store is empty, nothing is active, profiles are 0', async () => {
    const world = new World();
    const node = startNode(world, 'core-a', { keepaliveIntervalMs: 30_000, keepaliveFailures: 1 });
    // a mix: answered (peer dies later), ringing forever, with max duration, just INVITEd
    await answered(node, 'z1@x');
    await answered(node, 'z2@x', { maxDurationMs: 3_600_000 });
    const ringing = new Call('z3@x');
    await node.tracker.onRequest(ringing.invite());
    await node.tracker.onResponse(ringing.inviteResponse(183, 'r'));
    await node.tracker.onRequest(new Call('z4@x').invite());
    expect(node.tracker.metrics().active).toBe(4);
    expect(await world.profiles.count(profile.key)).toBe(2);

    node.sender.answer('caller', 'OPTIONS', { status: 408 });
    await node.clock.advance(24 * 3_600_000);
    expect(node.tracker.metrics()).toMatchObject({ active: 0, early: 0, confirmed: 0 });
    expect(await world.store.list()).toEqual([]);
    expect(await world.profiles.count(profile.key)).toBe(0);
    expect(world.cdrs).toHaveLength(4);
    expect(node.clock.pending).toBe(0);
  });

  it('profiles: over the limit is refused; every way a call ends releases its slot', async () => {
    const world = new World();
    const node = startNode(world, 'core-a', { keepaliveIntervalMs: 0, profileLimitStatus: 503 });
    const a = new Call('p1@x');
    const b = new Call('p2@x');
    const c = new Call('p3@x');
    await node.tracker.onRequest(a.invite(), { call: { profiles: [profile] } });
    await node.tracker.onRequest(b.invite(), { call: { profiles: [profile] } });
    expect(await node.tracker.onRequest(c.invite(), { call: { profiles: [profile] } })).toEqual({
      action: 'reject',
      status: 503,
      reason: 'profile-limit',
      dialogId: null,
    });
    expect(node.tracker.metrics().profileRejections).toBe(1);
    await node.tracker.onResponse(a.inviteResponse(486, 'x')); // failure
    await node.tracker.onResponse(b.inviteResponse(200, 'y')); // answered …
    expect(await world.profiles.count(profile.key)).toBe(1);
    expect(await node.tracker.endDialog(dialogId('p2@x', b.fromTag, 'y'), 'proxy')).toBe(true);
    expect(await world.profiles.count(profile.key)).toBe(0);
    expect(node.sender.of('BYE')).toHaveLength(2);
    expect(await node.tracker.endDialog(dialogId('p2@x', b.fromTag, 'y'))).toBe(false);
    expect(world.cdrs).toHaveLength(2);
  });

  it('hold() and refer() originate a re-INVITE (sendonly, ACKed) and a REFER towards one party', async () => {
    const world = new World();
    const node = startNode(world, 'core-a', { keepaliveIntervalMs: 0 });
    const { id } = await answered(node, 'orig@x');
    const outcome = await node.tracker.hold(id, 'callee', sdp(null, '10.9.9.9'));
    expect(outcome).toEqual({ status: 200 });
    const inv = node.sender.of('INVITE', 'callee')[0]!.request;
    expect(inv.body.toString()).toContain('a=sendonly');
    expect(inv.cseq).toEqual({ seq: 4, method: 'INVITE' });
    expect(inv.headers.get('contact')).toBe(`<${ALICE.contact}>`);
    expect(node.sender.acks[0]!.request.cseq).toEqual({ seq: 4, method: 'ACK' });
    expect((await world.store.get(id))?.caller).toMatchObject({ onHold: true, cseq: 4 });

    node.sender.answer('caller', 'REFER', { status: 202 });
    expect(await node.tracker.refer(id, 'caller', 'sip:carol@example.org')).toEqual({
      status: 202,
    });
    const refer = node.sender.of('REFER', 'caller')[0]!.request;
    expect(refer.headers.get('refer-to')).toBe('<sip:carol@example.org>');
    expect(refer.headers.getAll('route')).toEqual([EDGE_RR]);
    expect(refer.cseq.seq).toBe(1);
    expect((await world.store.get(id))?.transfer.referTo).toBe('sip:carol@example.org');
    expect(CORE_RR).toContain('core-a');
  });
});
