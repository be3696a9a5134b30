import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisCallProfiles } from '../src/profiles/redis-call-profiles.js';
import { dialogId } from '../src/state/dialog-id.js';
import { RedisDialogStore } from '../src/store/redis-dialog-store.js';
import { ALICE, BOB, Call, EDGE_RR } from './support/sip-messages.js';
import { RedisTestServer } from './support/redis-server.js';
import { World, startNode } from './support/tracker-harness.js';
import { waitFor } from './support/wait-for.js';

const profile = { key: 'acct-9', limit: 5 };

describe('DialogTracker takeover (leases decide who runs the timers)', () => {
  it('memory store: B adopts after A stalls; B’s timers fire, A’s do not; profiles back to 0', async () => {
    const world = new World();
    const opts = { keepaliveIntervalMs: 30_000, keepaliveFailures: 1, leaseTtlMs: 45_000 };
    const a = startNode(world, 'core-a', opts);
    const b = startNode(world, 'core-b', opts);
    const call = new Call('takeover@x');
    await a.tracker.onRequest(call.invite(), { call: { profiles: [profile] } });
    await a.tracker.onResponse(call.inviteResponse(200, 'b'));
    const id = dialogId(call.callId, call.fromTag, 'b');
    expect(await world.store.leaseOwner(id)).toBe('core-a');

    // A stalls (no timers run there) while time passes beyond its lease
    world.time.t += 50_000;
    expect(await b.tracker.adopt(id)).toBe(true);
    expect(await world.store.get(id)).toMatchObject({ ownerNode: 'core-b' });
    expect(await world.store.leaseOwner(id)).toBe('core-b');
    // overdue keep-alive fires on B at once
    await b.clock.advance(0);
    expect(b.sender.of('OPTIONS')).toHaveLength(2);

    // A wakes up: its timers find B's lease and stand down
    await a.clock.runDue();
    expect(a.sender.sent).toHaveLength(0);
    expect(a.tracker.metrics()).toMatchObject({ active: 0, leasesLost: 1 });
    expect(a.clock.pending).toBe(0);

    // the callee dies: B ends the call, BYEs both sides, CDR once, profile released
    b.sender.answer('callee', 'OPTIONS', { error: 'timeout' });
    await b.clock.advance(30_000);
    expect(await world.store.get(id)).toBeNull();
    expect(b.sender.of('BYE')).toHaveLength(2);
    expect(world.cdrs).toHaveLength(1);
    expect(world.cdrs[0]).toMatchObject({ coreNode: 'core-b', hangupParty: 'keepalive-failed' });
    expect(await world.profiles.count(profile.key)).toBe(0);
    expect(b.tracker.metrics()).toMatchObject({ active: 0, adopted: 1 });
    await a.clock.advance(600_000);
    expect(a.sender.sent).toHaveLength(0);
  });

  it('adopt fails while the owner’s lease is live', async () => {
    const world = new World();
    const a = startNode(world, 'core-a');
    const b = startNode(world, 'core-b');
    const call = new Call('busy-lease@x');
    await a.tracker.onRequest(call.invite());
    await a.tracker.onResponse(call.inviteResponse(200, 'b'));
    expect(await b.tracker.adopt(dialogId(call.callId, call.fromTag, 'b'))).toBe(false);
    expect(await b.tracker.adopt('no-such:x:y')).toBe(false);
  });

  describe('on a real redis-server', () => {
    let server: RedisTestServer;
    const stores: RedisDialogStore[] = [];
    const open = async (node: string): Promise<RedisDialogStore> => {
      const s = new RedisDialogStore({
        node,
        redis: { mode: 'standalone', host: server.host, port: server.port },
      });
      stores.push(s);
      expect(await s.whenReady(5_000)).toBe(true);
      return s;
    };

    beforeAll(async () => {
      server = await RedisTestServer.start();
    });
    afterAll(async () => {
      await Promise.all(stores.map((s) => s.close()));
      await server.stop();
    });

    it('A confirms and dies; B adopts via the lease, BYEs by the stored route set, one CDR; A’s late write is stale', async () => {
      const storeA = await open('core-a');
      const storeB = await open('core-b');
      const world = new World(storeA);
      const profiles = new RedisCallProfiles({ redis: storeA.redis });
      // leases are Redis time (real ms): keep them short so B can take over quickly
      const opts = { keepaliveIntervalMs: 0, leaseTtlMs: 300, profiles };
      const a = startNode(world, 'core-a', opts);
      const b = startNode(world, 'core-b', { ...opts, store: storeB });

      const call = new Call('redis-takeover@x');
      await a.tracker.onRequest(call.invite(), { call: { profiles: [profile] } });
      await a.tracker.onResponse(call.inviteResponse(200, 'b'));
      await a.tracker.onRequest(call.request('caller', 'INFO', 'b'));
      const id = dialogId(call.callId, call.fromTag, 'b');
      const before = await storeA.get(id);
      expect(before?.state).toBe('confirmed');
      expect(await profiles.count(profile.key)).toBe(1);

      // A dies without cleanup
      await a.tracker.close();
      expect(await b.tracker.adopt(id)).toBe(false); // lease still A's
      await waitFor(async () => ((await b.tracker.adopt(id)) ? true : undefined), 'lease lapse');
      expect(await storeB.leaseOwner(id)).toBe('core-b');

      expect(await b.tracker.endDialog(id, 'proxy', 'operator')).toBe(true);
      const byeCaller = b.sender.of('BYE', 'caller')[0]!.request;
      const byeCallee = b.sender.of('BYE', 'callee')[0]!.request;
      expect(byeCaller.uri).toBe(ALICE.contact);
      expect(byeCaller.headers.getAll('route')).toEqual([EDGE_RR]);
      expect(byeCallee.uri).toBe(BOB.contact);
      expect(byeCallee.cseq.seq).toBe(3);
      expect(await storeB.get(id)).toBeNull();
      expect(world.cdrs).toHaveLength(1);
      expect(world.cdrs[0]).toMatchObject({ coreNode: 'core-b', hangupParty: 'proxy' });
      expect(await profiles.count(profile.key)).toBe(0);

      // A comes back with its old view: the write is rejected, no zombie, no second CDR
      expect((await storeA.put({ ...before!, version: before!.version + 1 })).ok).toBe(false);
      const a2 = startNode(world, 'core-a', opts);
      expect(await a2.tracker.endDialog(id)).toBe(false);
      expect(world.cdrs).toHaveLength(1);
    });
  });
});
