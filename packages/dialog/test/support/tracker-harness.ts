import type { CdrRecord } from '../../src/cdr/cdr-record.js';
import { CallbackCdrSink } from '../../src/cdr/callback-cdr-sink.js';
import { CdrWriter } from '../../src/cdr/cdr-writer.js';
import { MemoryCallProfiles } from '../../src/profiles/memory-call-profiles.js';
import { ownRouteMatcher } from '../../src/sip/route-set.js';
import type { DialogStore } from '../../src/store/dialog-store.js';
import { MemoryDialogStore } from '../../src/store/memory-dialog-store.js';
import type { DialogEvent } from '../../src/tracker/events.js';
import { DialogTracker } from '../../src/tracker/dialog-tracker.js';
import type { DialogTrackerOptions } from '../../src/tracker/tracker-options.js';
import { FakeSender } from './fake-sender.js';
import { ManualClock, TimeSource } from './manual-clock.js';

/** What several nodes of one test share: time, store, CDR output, profiles. */
export class World {
  readonly time = new TimeSource();
  readonly cdrs: CdrRecord[] = [];
  readonly profiles = new MemoryCallProfiles({ now: this.time.now });
  readonly store: DialogStore;

  constructor(store?: DialogStore) {
    this.store =
      store ?? new MemoryDialogStore({ node: 'shared', now: this.time.now, sweepIntervalMs: 0 });
  }
}

export interface Node {
  readonly tracker: DialogTracker;
  readonly clock: ManualClock;
  readonly sender: FakeSender;
  readonly events: DialogEvent[];
}

export function startNode(
  world: World,
  name = 'core-a',
  options: Partial<DialogTrackerOptions> = {},
): Node {
  const clock = new ManualClock(world.time);
  const sender = new FakeSender();
  const cdr = new CdrWriter({
    store: options.store ?? world.store,
    sinks: [new CallbackCdrSink((r) => void world.cdrs.push(r))],
    coreNode: name,
    now: world.time.now,
  });
  const tracker = new DialogTracker({
    node: name,
    store: world.store,
    sender,
    cdr,
    profiles: world.profiles,
    clock,
    isOwnRoute: ownRouteMatcher(['core-a.example.com']),
    ...options,
  });
  const events: DialogEvent[] = [];
  tracker.onEvent((e) => events.push(e));
  return { tracker, clock, sender, events };
}
