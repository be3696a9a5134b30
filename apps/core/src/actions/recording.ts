/**
 * Recording triggers (issue #14). The media server records; the core decides and says so:
 * - at call setup, a route (`record: true`) or a user (`actions.recording.users`) marks the
 *   call, and the INVITE to the media server carries `X-Strata-Record: <file>` (Asterisk:
 *   `MixMonitor(${PJSIP_HEADER(read,X-Strata-Record)})`); a client's own copy is stripped;
 * - mid-call (admin, feature code), the core sends the media server's one-touch recording
 *   code as DTMF INFO to the media leg (Asterisk `automixmon`, a toggle).
 * A call not routed through a media server is refused (an `action-refused` event, an error
 * to the API), never silently left unrecorded. Events say where the recording is.
 */
import type { DialogState, DialogTracker, DialogStore } from '@strata/dialog';
import { isSipUri, type SipRequest } from '@strata/parser';
import type { Logger } from 'pino';
import type { CallEvents } from '../events/call-events.js';
import type { ActionsConfig } from './actions-config.js';

/** The media server a call went to, or null when it was not routed to a media group. */
export type MediaServerOf = (callId: string) => { group: string; uri: string } | null;

export type RecordingError = { readonly error: 'no-such-dialog' | 'not-via-media' | 'unavailable' };

interface Mark {
  readonly trigger: 'route' | 'user';
  readonly file: string;
  started: boolean;
  server: string | null;
}

export class Recording {
  private readonly marks = new Map<string, Mark>();
  private readonly users: RegExp[];

  constructor(
    private readonly config: ActionsConfig['recording'],
    private readonly deps: {
      readonly tracker: DialogTracker;
      readonly store: DialogStore;
      readonly events: CallEvents;
      readonly serverOf: MediaServerOf;
      readonly log: Logger;
    },
  ) {
    this.users = config.users.map((u) => new RegExp(u));
  }

  /**
   * An initial INVITE: drop any client-supplied recording header (only the core may ask the
   * media server to record), then mark the call when its route or one of its users asks.
   */
  mark(
    req: SipRequest,
    route: { readonly record?: boolean | undefined } | null,
    tracked: boolean,
  ): void {
    if (req.headers.has(this.config.header)) req.headers.remove(this.config.header);
    if (!tracked || route === null) return;
    let trigger: Mark['trigger'] | null = route.record === true ? 'route' : null;
    if (trigger === null && this.users.length > 0) {
      const users = [safe(() => req.from.uri), safe(() => req.requestUri)].map((u) =>
        u !== null && isSipUri(u) ? u.user : null,
      );
      if (users.some((u) => u !== null && this.users.some((re) => re.test(u)))) trigger = 'user';
    }
    if (trigger === null) return;
    this.marks.set(req.callId, {
      trigger,
      file: fileFor(req.callId),
      started: false,
      server: null,
    });
  }

  /** Headers for the INVITE's branches to a media server. */
  headers(req: SipRequest): readonly (readonly [string, string])[] {
    if (req.method !== 'INVITE' || req.toTag !== null) return [];
    const m = this.marks.get(req.callId);
    return m === undefined ? [] : [[this.config.header, m.file]];
  }

  /** The call was answered: recording started on its media server, or refused. */
  confirmed(s: DialogState): void {
    const m = this.marks.get(s.callId);
    if (m === undefined || m.started) return;
    const media = this.deps.serverOf(s.callId);
    if (media === null) {
      this.marks.delete(s.callId);
      this.deps.events.publish('action-refused', s, {
        action: 'record',
        trigger: m.trigger,
        reason: 'not routed through a media server',
      });
      return;
    }
    m.started = true;
    m.server = media.uri;
    this.deps.events.publish('recording-started', s, {
      file: m.file,
      server: media.uri,
      trigger: m.trigger,
      by: 'core',
    });
  }

  terminated(s: DialogState): void {
    const m = this.marks.get(s.callId);
    if (m === undefined) return;
    this.marks.delete(s.callId);
    if (m.started)
      this.deps.events.publish('recording-stopped', s, {
        file: m.file,
        server: m.server,
        reason: 'call ended',
      });
  }

  /**
   * Mid-call start/stop (admin, feature code): the media server's one-touch code as DTMF
   * INFO to the media leg (the callee side: the INVITE went to the media server).
   */
  async toggle(
    id: string,
    start: boolean,
    by: string,
  ): Promise<{ readonly server: string } | RecordingError> {
    const s = await this.deps.store.get(id);
    if (s === null || s.state !== 'confirmed') return { error: 'no-such-dialog' };
    const media = this.deps.serverOf(s.callId);
    const refuse = (error: RecordingError['error'], reason: string): RecordingError => {
      this.deps.events.publish('action-refused', s, {
        action: start ? 'record' : 'stop-record',
        by,
        reason,
      });
      return { error };
    };
    if (media === null) return refuse('not-via-media', 'not routed through a media server');
    const code = this.config.mediaFeatureCode;
    if (code === '') return refuse('unavailable', 'actions.recording.mediaFeatureCode is not set');
    for (const digit of code) {
      const out = await this.deps.tracker.request(id, 'callee', 'INFO', {
        body: `Signal=${digit}\r\nDuration=160\r\n`,
        contentType: 'application/dtmf-relay',
      });
      if (out === null || !('status' in out) || out.status >= 300) {
        this.deps.log.warn(
          { dialogId: id, out },
          'recording DTMF not accepted by the media server',
        );
        return refuse('unavailable', 'the media server did not accept the DTMF');
      }
    }
    this.deps.events.publish(start ? 'recording-started' : 'recording-stopped', s, {
      file: null, // named by the media server (Asterisk: TOUCH_MIXMONITOR)
      server: media.uri,
      trigger: by,
      by: 'core',
    });
    return { server: media.uri };
  }
}

function safe<T>(f: () => T): T | null {
  try {
    return f();
  } catch {
    return null;
  }
}

/** A file name the media server can use as is: the Call-ID's safe characters, bounded. */
function fileFor(callId: string): string {
  return `strata-${callId.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 80)}.wav`;
}
