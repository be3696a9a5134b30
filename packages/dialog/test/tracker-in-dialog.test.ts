import { describe, expect, it } from 'vitest';
import { dialogId } from '../src/state/dialog-id.js';
import { holdState } from '../src/state/hold-state.js';
import { ALICE, BOB, Call, sdp, type Party } from './support/sip-messages.js';
import { World, startNode } from './support/tracker-harness.js';

async function confirmedCall(world: World, callId: string, caller?: Party, callee?: Party) {
  const node = startNode(world, 'core-a', { keepaliveIntervalMs: 0 });
  const call = new Call(callId, caller, callee);
  await node.tracker.onRequest(call.invite({ body: sdp() }));
  await node.tracker.onResponse(call.inviteResponse(200, 'b', { body: sdp(null, '198.51.100.7') }));
  return { ...node, call, id: dialogId(callId, call.fromTag, 'b') };
}

describe('DialogTracker: in-dialog behaviour', () => {
  it('detects hold and resume per side from re-INVITE and UPDATE offers (RFC 3264 §8.4)', async () => {
    const world = new World();
    const { tracker, call, id, events } = await confirmedCall(world, 'hold@x');
    const get = async () => (await world.store.get(id))!;

    await tracker.onRequest(call.request('caller', 'INVITE', 'b', { body: sdp('sendonly') }));
    expect(holdState(await get())).toBe('caller');
    await tracker.onRequest(call.request('caller', 'INVITE', 'b', { body: sdp('sendrecv') }));
    expect(holdState(await get())).toBe('none');

    // RFC 2543 style hold from the callee: c=0.0.0.0, via UPDATE
    await tracker.onRequest(call.request('callee', 'UPDATE', 'b', { body: sdp(null, '0.0.0.0') }));
    expect(holdState(await get())).toBe('callee');
    await tracker.onRequest(call.request('caller', 'INVITE', 'b', { body: sdp('inactive') }));
    expect(holdState(await get())).toBe('both');
    // a re-INVITE without SDP: the offer comes in the 2xx (late offer)
    const late = call.request('callee', 'INVITE', 'b');
    await tracker.onRequest(late);
    await tracker.onResponse(call.answer(late, 200, { body: sdp('sendrecv') }));
    expect(holdState(await get())).toBe('callee');
    const holds = events.flatMap((e) => (e.type === 'hold' ? [[e.side, e.onHold]] : []));
    expect(holds).toEqual([
      ['caller', true],
      ['caller', false],
      ['callee', true],
      ['caller', true],
      ['caller', false],
    ]);
  });

  it('records REFER and the NOTIFY sipfrag progress (RFC 3515)', async () => {
    const world = new World();
    const { tracker, call, id, events } = await confirmedCall(world, 'refer@x');
    const refer = call.request('caller', 'REFER', 'b', {
      headers: [['Refer-To', '<sip:carol@example.org>']],
    });
    await tracker.onRequest(refer);
    await tracker.onResponse(call.answer(refer, 202));
    expect((await world.store.get(id))?.transfer).toMatchObject({
      referTo: 'sip:carol@example.org',
      referStatus: null,
    });
    const notify = (frag: string) =>
      call.request('callee', 'NOTIFY', 'b', {
        headers: [
          ['Event', 'refer'],
          ['Subscription-State', 'active;expires=60'],
        ],
        contentType: 'message/sipfrag;version=2.0',
        body: frag,
      });
    await tracker.onRequest(notify('SIP/2.0 100 Trying\r\n'));
    expect((await world.store.get(id))?.transfer.referStatus).toBe(100);
    await tracker.onRequest(notify('SIP/2.0 200 OK\r\n'));
    expect((await world.store.get(id))?.transfer.referStatus).toBe(200);
    // the transferor hangs up; the CDR carries the transfer
    await tracker.onRequest(call.request('caller', 'BYE', 'b'));
    expect(world.cdrs[0]).toMatchObject({ referTo: 'sip:carol@example.org', referStatus: 200 });
    expect(
      events.filter((e) => e.type === 'refer').map((e) => e.type === 'refer' && e.status),
    ).toEqual([null, 100, 200]);
  });

  it('a rejected REFER records its status', async () => {
    const world = new World();
    const { tracker, call, id } = await confirmedCall(world, 'refer-no@x');
    const refer = call.request('caller', 'REFER', 'b', {
      headers: [['Refer-To', '<sip:carol@example.org>']],
    });
    await tracker.onRequest(refer);
    await tracker.onResponse(call.answer(refer, 603));
    expect((await world.store.get(id))?.transfer.referStatus).toBe(603);
  });

  it('attended transfer: an INVITE with Replaces links the new and the old dialog, both CDRs (RFC 3891)', async () => {
    const world = new World();
    const carol: Party = {
      uri: 'sip:carol@example.org',
      contact: 'sip:carol@203.0.113.5:5060',
      via: 'SIP/2.0/UDP 203.0.113.5:5060',
    };
    // call 2: alice ↔ carol (consultation call); alice then REFERs bob to carol with Replaces
    const { tracker, call: old, id: oldId } = await confirmedCall(world, 'consult@x', ALICE, carol);
    // bob calls carol with Replaces naming the consultation dialog (tags as carol sees them)
    const fresh = new Call('transfer@y', BOB, carol, undefined, 'bob-new');
    const invite = fresh.invite({
      headers: [
        ['Replaces', `consult@x;to-tag=${old.fromTag};from-tag=b`],
        ['Referred-By', `<${ALICE.uri}>`],
      ],
    });
    await tracker.onRequest(invite);
    await tracker.onResponse(fresh.inviteResponse(200, 'carol-new'));
    const newId = dialogId('transfer@y', 'bob-new', 'carol-new');
    expect((await world.store.get(newId))?.transfer).toMatchObject({
      replaces: oldId,
      referredBy: ALICE.uri,
    });
    expect((await world.store.get(oldId))?.transfer.replacedBy).toBe(newId);

    // RFC 3891 §3: carol ends the replaced dialog with a BYE
    await tracker.onRequest(old.request('callee', 'BYE', 'b'));
    await tracker.onRequest(fresh.request('caller', 'BYE', 'carol-new'));
    const oldCdr = world.cdrs.find((c) => c.callId === 'consult@x');
    const newCdr = world.cdrs.find((c) => c.callId === 'transfer@y');
    expect(oldCdr).toMatchObject({ replacedBy: newId, hangupParty: 'transfer' });
    expect(newCdr).toMatchObject({ replaces: oldId, referredBy: ALICE.uri });
  });

  it('session timer (RFC 4028): refreshes restart it, expiry ends the dialog with BYEs', async () => {
    const world = new World();
    const node = startNode(world, 'core-a', { keepaliveIntervalMs: 0 });
    const { tracker, clock, sender } = node;
    const call = new Call('se@x');
    await tracker.onRequest(call.invite({ headers: [['Session-Expires', '90']] }));
    await tracker.onResponse(
      call.inviteResponse(200, 'b', { headers: [['Session-Expires', '90;refresher=uac']] }),
    );
    const id = dialogId(call.callId, call.fromTag, 'b');
    expect((await world.store.get(id))?.sessionTimer).toEqual({ expiresSec: 90, refresher: 'uac' });

    // the refresher re-INVITEs at half the interval; the 2xx restarts the timer
    await clock.advance(45_000);
    const refresh = call.request('caller', 'INVITE', 'b', { body: sdp() });
    await tracker.onRequest(refresh);
    await tracker.onResponse(
      call.answer(refresh, 200, { headers: [['Session-Expires', '90;refresher=uac']] }),
    );
    await clock.advance(80_000);
    expect(await world.store.get(id)).not.toBeNull();
    expect(sender.of('BYE')).toHaveLength(0);

    // no further refresh: at 90 s after the last one, BYE both sides
    await clock.advance(10_000);
    expect(await world.store.get(id)).toBeNull();
    expect(
      sender
        .of('BYE')
        .map((s) => s.target.side)
        .sort(),
    ).toEqual(['callee', 'caller']);
    expect(world.cdrs[0]).toMatchObject({ hangupParty: 'session-expired' });
    expect(tracker.metrics()).toMatchObject({ active: 0, terminated: { 'session-expired': 1 } });
  });
});
