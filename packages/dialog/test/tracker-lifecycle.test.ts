import { describe, expect, it } from 'vitest';
import { dialogId } from '../src/state/dialog-id.js';
import { ALICE, BOB, CORE_RR, Call, EDGE_RR } from './support/sip-messages.js';
import { World, startNode } from './support/tracker-harness.js';

const source = { host: '192.0.2.10', port: 5060, transport: 'udp' as const };
const bobSource = { host: '198.51.100.7', port: 5060, transport: 'tcp' as const };

describe('DialogTracker: dialog life cycle from relayed messages (RFC 3261 §12)', () => {
  it('INVITE → 180 → 200 → ACK → BYE: early, confirmed, terminated; route sets and targets', async () => {
    const world = new World();
    const { tracker, events } = startNode(world, 'core-a', { keepaliveIntervalMs: 0 });
    const call = new Call('c1@192.0.2.10');

    expect(await tracker.onRequest(call.invite(), { source })).toEqual({
      action: 'relay',
      dialogId: 'c1@192.0.2.10:alice-tag:',
      from: 'caller',
    });
    expect(tracker.metrics()).toMatchObject({ active: 1, early: 1, confirmed: 0 });

    await tracker.onResponse(call.inviteResponse(100, null));
    await tracker.onResponse(call.inviteResponse(180, 'bob-tag'), bobSource);
    const id = dialogId(call.callId, call.fromTag, 'bob-tag');
    const early = await world.store.get(id);
    expect(early).toMatchObject({ state: 'early', toTag: 'bob-tag' });
    // the untagged attempt became the early dialog
    expect(await world.store.get(dialogId(call.callId, call.fromTag, null))).toBeNull();
    expect(tracker.metrics()).toMatchObject({ active: 1, early: 1 });

    world.time.t += 4_000;
    await tracker.onResponse(call.inviteResponse(200, 'bob-tag'), bobSource);
    const s = await world.store.get(id);
    expect(s).toMatchObject({
      state: 'confirmed',
      answeredAt: world.time.t,
      caller: {
        uri: ALICE.uri,
        contact: ALICE.contact,
        cseq: 1,
        routeSet: [EDGE_RR, CORE_RR], // §12.1.2: reversed
        source,
      },
      callee: {
        uri: BOB.uri,
        contact: BOB.contact,
        routeSet: [CORE_RR, EDGE_RR], // §12.1.1: in order
        source: bobSource,
      },
      disposition: { finalStatus: 200 },
    });
    expect(tracker.metrics()).toMatchObject({ active: 1, early: 0, confirmed: 1 });

    expect(await tracker.onRequest(call.request('caller', 'ACK', 'bob-tag'))).toMatchObject({
      action: 'relay',
      dialogId: id,
      from: 'caller',
    });

    world.time.t += 60_000;
    // the callee hangs up: tags are swapped in its request
    expect(await tracker.onRequest(call.request('callee', 'BYE', 'bob-tag'))).toMatchObject({
      action: 'relay',
      dialogId: id,
      from: 'callee',
    });
    expect(await world.store.get(id)).toBeNull();
    expect(world.cdrs).toHaveLength(1);
    expect(world.cdrs[0]).toMatchObject({
      dialogId: id,
      disposition: 'ANSWERED',
      hangupParty: 'callee',
      billableSec: 60,
      durationSec: 64,
    });
    expect(tracker.metrics()).toMatchObject({ active: 0, terminated: { callee: 1 } });
    expect(events.map((e) => e.type)).toEqual(['created', 'early', 'confirmed', 'terminated']);
    // the 200 to the BYE finds nothing to do; a late in-dialog request matches nothing
    expect(await tracker.onRequest(call.request('caller', 'INFO', 'bob-tag'))).toMatchObject({
      dialogId: null,
    });
  });

  it('a forked INVITE has one early dialog per To tag; the 200 confirms one and ends the others', async () => {
    const world = new World();
    const { tracker } = startNode(world);
    const call = new Call('fork@192.0.2.10');
    await tracker.onRequest(call.invite());
    await tracker.onResponse(call.inviteResponse(180, 'fork-1'));
    await tracker.onResponse(
      call.inviteResponse(183, 'fork-2', { contact: 'sip:bob@203.0.113.9' }),
    );
    await tracker.onResponse(call.inviteResponse(180, 'fork-3'));
    expect(tracker.metrics()).toMatchObject({ active: 3, early: 3 });
    const early = await world.store.findByCallId(call.callId);
    expect(early.map((d) => d.toTag).sort()).toEqual(['fork-1', 'fork-2', 'fork-3']);
    expect(early.find((d) => d.toTag === 'fork-2')?.callee.contact).toBe('sip:bob@203.0.113.9');

    await tracker.onResponse(
      call.inviteResponse(200, 'fork-2', { contact: 'sip:bob@203.0.113.9' }),
    );
    const left = await world.store.findByCallId(call.callId);
    expect(left).toHaveLength(1);
    expect(left[0]).toMatchObject({ toTag: 'fork-2', state: 'confirmed' });
    expect(tracker.metrics()).toMatchObject({ active: 1, early: 0, confirmed: 1 });

    // a 2xx from another fork afterwards (RFC 6026) creates no second dialog
    await tracker.onResponse(call.inviteResponse(200, 'fork-3'));
    expect(await world.store.findByCallId(call.callId)).toHaveLength(1);
    expect(world.cdrs).toHaveLength(0);
  });

  it('a 200 without a preceding 1xx confirms directly', async () => {
    const world = new World();
    const { tracker } = startNode(world);
    const call = new Call('direct@x');
    await tracker.onRequest(call.invite());
    await tracker.onResponse(call.inviteResponse(200, 'b1'));
    const all = await world.store.findByCallId(call.callId);
    expect(all.map((d) => [d.toTag, d.state])).toEqual([['b1', 'confirmed']]);
  });

  it('a final non-2xx ends every early dialog: 486 → BUSY, CANCEL + 487 → CANCELLED', async () => {
    const world = new World();
    const { tracker } = startNode(world);
    const busy = new Call('busy@x');
    await tracker.onRequest(busy.invite());
    await tracker.onResponse(busy.inviteResponse(180, 'b1'));
    await tracker.onResponse(busy.inviteResponse(180, 'b2'));
    await tracker.onResponse(busy.inviteResponse(486, 'b2'));
    expect(await world.store.findByCallId(busy.callId)).toEqual([]);
    expect(world.cdrs.at(-1)).toMatchObject({
      callId: 'busy@x',
      disposition: 'BUSY',
      finalStatus: 486,
      hangupParty: 'callee',
    });

    const cancelled = new Call('cancel@x');
    await tracker.onRequest(cancelled.invite());
    await tracker.onResponse(cancelled.inviteResponse(180, 'c1'));
    await tracker.onRequest(cancelled.cancel());
    await tracker.onResponse(cancelled.inviteResponse(487, 'c1'));
    expect(world.cdrs.at(-1)).toMatchObject({
      callId: 'cancel@x',
      disposition: 'CANCELLED',
      hangupParty: 'caller',
    });
    expect(tracker.metrics()).toMatchObject({ active: 0 });
    expect(world.cdrs).toHaveLength(2);
  });

  it('a 407 challenge ends the attempt without a CDR; the retried INVITE is tracked anew', async () => {
    const world = new World();
    const { tracker } = startNode(world);
    const call = new Call('auth@x');
    await tracker.onRequest(call.invite());
    await tracker.onResponse(call.inviteResponse(407, 'proxy-tag'));
    expect(tracker.metrics().active).toBe(0);
    expect(world.cdrs).toHaveLength(0);
    const retry = await tracker.onRequest(call.invite());
    expect(retry).toMatchObject({ action: 'relay', dialogId: 'auth@x:alice-tag:' });
    await tracker.onResponse(call.inviteResponse(200, 'b'));
    expect((await world.store.findByCallId('auth@x'))[0]?.state).toBe('confirmed');
  });

  it('reports an out-of-order CSeq (RFC 3261 §12.2.2) so the proxy answers 500', async () => {
    const world = new World();
    const { tracker } = startNode(world);
    const call = new Call('ooo@x');
    await tracker.onRequest(call.invite());
    await tracker.onResponse(call.inviteResponse(200, 'b'));
    const id = dialogId(call.callId, call.fromTag, 'b');
    expect(await tracker.onRequest(call.request('caller', 'INFO', 'b', { cseq: 5 }))).toMatchObject(
      { action: 'relay', dialogId: id },
    );
    expect(await tracker.onRequest(call.request('caller', 'INFO', 'b', { cseq: 3 }))).toEqual({
      action: 'reject',
      status: 500,
      reason: 'out-of-order',
      dialogId: id,
    });
    // the callee's CSeq space is separate: its first request with CSeq 1 is fine
    expect(await tracker.onRequest(call.request('callee', 'INFO', 'b', { cseq: 1 }))).toMatchObject(
      { action: 'relay', from: 'callee' },
    );
    // an ACK carries the INVITE's CSeq and is never out of order
    expect(await tracker.onRequest(call.request('caller', 'ACK', 'b', { cseq: 1 }))).toMatchObject({
      action: 'relay',
    });
    expect(tracker.metrics().outOfOrder).toBe(1);
    const s = await world.store.get(id);
    expect([s?.caller.cseq, s?.callee.cseq]).toEqual([5, 1]);
  });

  it('tracks INFO, MESSAGE, OPTIONS, NOTIFY CSeqs and re-INVITE / UPDATE target refresh', async () => {
    const world = new World();
    const { tracker } = startNode(world);
    const call = new Call('refresh@x');
    await tracker.onRequest(call.invite());
    await tracker.onResponse(call.inviteResponse(200, 'b'));
    const id = dialogId(call.callId, call.fromTag, 'b');
    for (const m of ['INFO', 'MESSAGE', 'OPTIONS'])
      expect(await tracker.onRequest(call.request('caller', m, 'b'))).toMatchObject({
        action: 'relay',
        dialogId: id,
      });
    await tracker.onRequest(call.request('callee', 'NOTIFY', 'b'));
    expect((await world.store.get(id))?.caller.cseq).toBe(4);
    expect((await world.store.get(id))?.callee.cseq).toBe(1);

    // re-INVITE from the caller with a new Contact; the callee's 2xx with a new Contact
    const reinvite = call.request('caller', 'INVITE', 'b', {
      contact: 'sip:alice@192.0.2.99:5070',
    });
    await tracker.onRequest(reinvite);
    expect((await world.store.get(id))?.caller.contact).toBe('sip:alice@192.0.2.99:5070');
    await tracker.onResponse(call.answer(reinvite, 200, { contact: 'sip:bob@198.51.100.8' }));
    expect((await world.store.get(id))?.callee.contact).toBe('sip:bob@198.51.100.8');

    const update = call.request('callee', 'UPDATE', 'b', { contact: 'sip:bob@198.51.100.9' });
    await tracker.onRequest(update);
    expect((await world.store.get(id))?.callee.contact).toBe('sip:bob@198.51.100.9');
  });
});
