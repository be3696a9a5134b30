/**
 * Active-call accounting for media groups (the `least-active` algorithm): which media
 * server each routed call went to, counted on the server once the call is answered and
 * uncounted when it ends, whichever way it ends.
 *
 * The router tells us the server a call's branch went to (the first choice, then each
 * failover target: media branches are tried one at a time, so the last one assigned is
 * the one that answered); the dialog tracker's `confirmed` / `terminated` events give the
 * Call-ID and the dialog. Counts are per core node (each core balances its own calls).
 */
import type { MediaGroup } from './media-group.js';

interface MediaCall {
  group: string;
  uri: string;
  /** the confirmed dialog counted on `uri`, or null while the call is not answered */
  counted: string | null;
}

export class MediaCalls {
  private readonly calls = new Map<string, MediaCall>();

  constructor(private readonly groups: ReadonlyMap<string, MediaGroup>) {}

  /** The call's (next) branch goes to `uri` of `group`. */
  assign(callId: string, group: string, uri: string): void {
    const c = this.calls.get(callId);
    if (c !== undefined && c.counted !== null) return; // answered already: keep what was counted
    this.calls.set(callId, { group, uri, counted: null });
  }

  /** A dialog of the call was answered: count it on the server its branch went to. */
  confirmed(callId: string, dialogId: string): void {
    const c = this.calls.get(callId);
    if (c === undefined || c.counted !== null) return;
    c.counted = dialogId;
    this.groups.get(c.group)?.callStarted(c.uri);
  }

  /** A dialog of the call ended (BYE, keep-alive failure, max duration, rejection, timeout). */
  terminated(callId: string, dialogId: string): void {
    const c = this.calls.get(callId);
    if (c === undefined) return;
    if (c.counted === null) {
      this.calls.delete(callId); // never answered
      return;
    }
    if (c.counted !== dialogId) return; // another dialog of the Call-ID
    this.calls.delete(callId);
    this.groups.get(c.group)?.callEnded(c.uri);
  }

  /** The media server a call's (last) branch went to, or null (issue #14: recording, park). */
  serverOf(callId: string): { group: string; uri: string } | null {
    const c = this.calls.get(callId);
    return c === undefined ? null : { group: c.group, uri: c.uri };
  }

  /** Calls assigned to a media server and not ended yet (answered or not). */
  get size(): number {
    return this.calls.size;
  }
}
