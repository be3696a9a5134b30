/**
 * Recording by user (issue #14, `actions.recording.users`) through real core processes on
 * loopback. The media server is a sipp UAS STAND-IN, not Asterisk: `uas-record.xml` fails
 * the call unless the INVITE carries `X-Strata-Record` with a safe file name (Asterisk's
 * MixMonitor of that header is run by call-control-asterisk.e2e.test.ts). Two cores, one
 * matching callees (`^10[0-9]{2}$` over the Request-URI user), one matching callers
 * (`^sipp$` over the From user); a call matching neither is not recorded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallEvent } from '../../src/events/call-event.js';
import {
  freeUdpPorts,
  killAll,
  listening,
  readCdrs,
  sipp,
  startCore,
  tempDir,
  uas,
  until,
} from './support/harness.js';
import { EventSink } from './support/event-sink.js';

const dir = tempDir('recording-users');
const hooked: CallEvent[] = [];
let hook: EventSink | undefined;
let P: Record<string, number>;

/** A core whose calls all go to the media stand-in, recording the calls of `users`. */
function core(name: string, port: number, users: string[]) {
  return startCore(dir, name, port, {
    registrar: { natKeepaliveSeconds: 0 },
    dialog: { keepaliveIntervalSeconds: 0 },
    events: {
      webhook: { url: hook!.url },
    },
    actions: { recording: { users } },
    routes: [{ name: 'calls', match: { methods: ['INVITE'] }, targets: [{ mediaGroup: 'media' }] }],
    mediaGroups: {
      media: { targets: [{ uri: `sip:127.0.0.1:${P['media']}` }], probe: { enabled: false } },
    },
  });
}

/** One call from sipp to `user` through `corePort`, answered by the media stand-in `scenario`. */
async function call(
  corePort: number,
  user: string,
  scenario: string,
): Promise<{ callId: string; events: CallEvent[] }> {
  const media = uas(scenario, P['media']!, 1, dir);
  await listening(P['media']!);
  const r = await sipp('uac.xml', P['caller']!, ['-s', user, '-m', '1', `127.0.0.1:${corePort}`], {
    cwd: dir,
    timeoutS: 15,
  }).done;
  expect(r.code, r.errors).toBe(0);
  const m = await media.done;
  expect(m.code, m.errors).toBe(0); // uas-record.xml: the header was there, with a safe name
  const node = corePort === P['core1'] ? 'core-1' : 'core-2';
  const cdr = await until(
    'the CDR',
    () => readCdrs(`${dir}/${node}-cdr.jsonl`).find((c) => String(c['toUri']).includes(`${user}@`)),
    5000,
  );
  const callId = String(cdr['callId']);
  const events = await until(
    'the ended event',
    () => {
      const e = hooked.filter((x) => x.callId === callId);
      return e.some((x) => x.type === 'ended') ? e : undefined;
    },
    5000,
  );
  return { callId, events };
}

beforeAll(async () => {
  const ports = await freeUdpPorts(4);
  P = { core1: ports[0]!, core2: ports[1]!, media: ports[2]!, caller: ports[3]! };
  hook = await EventSink.start(hooked);
  await core('core-1', P['core1']!, ['^10[0-9]{2}$']);
  await core('core-2', P['core2']!, ['^sipp$']);
}, 30_000);

afterAll(async () => {
  await killAll();
  await hook?.close();
});

describe('recording by user (media-server stand-in: sipp UAS, not Asterisk)', () => {
  it('a callee in actions.recording.users: X-Strata-Record to the media server, recording-started/stopped with trigger user', async () => {
    const { events } = await call(P['core1']!, '1001', 'uas-record.xml');
    expect(events.map((e) => e.type)).toEqual([
      'created',
      'ringing',
      'answered',
      'recording-started',
      'recording-stopped',
      'ended',
    ]);
    const started = events.find((e) => e.type === 'recording-started')!;
    expect(started.data).toMatchObject({
      trigger: 'user',
      server: `sip:127.0.0.1:${P['media']}`,
    });
    expect(String(started.data['file'])).toMatch(/^strata-[A-Za-z0-9._-]+\.wav$/);
    const stopped = events.find((e) => e.type === 'recording-stopped')!;
    expect(stopped.data['file']).toBe(started.data['file']);
  });

  it('a caller in actions.recording.users (From user): recorded too', async () => {
    const { events } = await call(P['core2']!, '2001', 'uas-record.xml');
    const started = events.find((e) => e.type === 'recording-started');
    expect(started?.data).toMatchObject({ trigger: 'user' });
  });

  it('neither party in actions.recording.users: not recorded', async () => {
    const { events } = await call(P['core1']!, '2001', 'uas.xml');
    expect(events.map((e) => e.type)).toEqual(['created', 'ringing', 'answered', 'ended']);
  });
});
