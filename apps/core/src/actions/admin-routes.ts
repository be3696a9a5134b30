/**
 * Mid-call actions on the admin API (issue #14), under /admin/ (bearer token, @strata/ops):
 *   POST /admin/calls/end       {id|callId, reason?}                BYE both legs, CDR party proxy
 *   POST /admin/calls/transfer  {id|callId, side, target, waitMs?}  REFER to `side`; REFER + NOTIFY outcome
 *   POST /admin/calls/hold      {id|callId, side, sdp?, hold?}      re-INVITE sendonly (hold: false → sendrecv)
 *   POST /admin/calls/record    {id|callId, action: start|stop}   one-touch recording on the media server
 *   POST /admin/calls/park      {id|callId, side}                 REFER `side` to a park slot on a media server
 *   GET  /admin/park                                              parked calls (slot → media server)
 *   GET  /admin/policy                                            runtime limits
 *   POST /admin/policy          {maxDurationSeconds?, applyToActive?, concurrency?: {route, limit, applyToActive?}}
 * Parameters come from the JSON body or the query string. docs/call-control.md has examples.
 */
import type { DialogSideName } from '@strata/dialog';
import type { AdminReply, AdminRequest, AdminRoute } from '@strata/ops';
import type { ActionError, CallControl } from './call-control.js';

/** From the JSON body (an explicit null included), else the query string; undefined = absent. */
function param(r: AdminRequest, name: string): unknown {
  if (name in r.body) return r.body[name];
  return r.query.get(name) ?? undefined;
}

function str(r: AdminRequest, name: string): string | null {
  const v = param(r, name);
  return typeof v === 'string' && v !== '' ? v : null;
}

function side(r: AdminRequest): DialogSideName | null {
  const v = str(r, 'side');
  return v === 'caller' || v === 'callee' ? v : null;
}

function bool(r: AdminRequest, name: string, dflt: boolean): boolean {
  const v = param(r, name);
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  return dflt;
}

/** A number, null (explicit reset), or undefined (not given / bad). */
function numOrNull(r: AdminRequest, name: string): number | null | undefined {
  const v = param(r, name);
  if (v === null || v === 'null') return null;
  const n = typeof v === 'number' ? v : typeof v === 'string' && v !== '' ? Number(v) : NaN;
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

const ERROR_STATUS: Record<ActionError['error'], number> = {
  'no-such-dialog': 404,
  'not-confirmed': 409,
  'bad-target': 400,
  'not-via-media': 409,
  unavailable: 409,
  'no-free-slot': 503,
  'no-sdp': 409,
};

function failed(e: ActionError): AdminReply {
  return { status: ERROR_STATUS[e.error], body: e };
}

export function callControlAdminRoutes(control: CallControl): AdminRoute[] {
  const dialog = async (r: AdminRequest): Promise<string | AdminReply> => {
    const id = await control.findDialog(str(r, 'id'), str(r, 'callId'));
    if (id === undefined) return { status: 400, body: { error: 'give id or callId' } };
    if (id === null) return { status: 404, body: { error: 'no-such-dialog' } };
    return id;
  };
  return [
    {
      method: 'POST',
      path: /^\/calls\/end\/?$/,
      handle: async (r) => {
        const id = await dialog(r);
        if (typeof id !== 'string') return id;
        const ended = await control.end(id, str(r, 'reason') ?? 'admin');
        return ended ? { status: 200, body: { ended: id } } : failed({ error: 'no-such-dialog' });
      },
    },
    {
      method: 'POST',
      path: /^\/calls\/transfer\/?$/,
      handle: async (r) => {
        const id = await dialog(r);
        if (typeof id !== 'string') return id;
        const s = side(r);
        const target = str(r, 'target');
        if (s === null || target === null)
          return { status: 400, body: { error: 'give side (caller|callee) and target' } };
        const wait = numOrNull(r, 'waitMs');
        const out = await control.transfer(id, s, target, wait ?? undefined);
        if ('error' in out) return failed(out);
        const ok = out.notify !== null && out.notify >= 200 && out.notify < 300;
        return { status: 200, body: { ok, dialogId: id, ...out } };
      },
    },
    {
      method: 'POST',
      path: /^\/calls\/hold\/?$/,
      handle: async (r) => {
        const id = await dialog(r);
        if (typeof id !== 'string') return id;
        const s = side(r);
        if (s === null) return { status: 400, body: { error: 'give side (caller|callee)' } };
        // sdp optional: the peer's last SDP the core saw
        const out = await control.hold(id, s, str(r, 'sdp'), bool(r, 'hold', true));
        if ('error' in out) return failed(out);
        const r2 = out.reinvite;
        const ok = 'status' in r2 && r2.status >= 200 && r2.status < 300;
        return { status: 200, body: { ok, dialogId: id, ...out } };
      },
    },
    {
      method: 'POST',
      path: /^\/calls\/record\/?$/,
      handle: async (r) => {
        const id = await dialog(r);
        if (typeof id !== 'string') return id;
        const action = str(r, 'action') ?? 'start';
        if (action !== 'start' && action !== 'stop')
          return { status: 400, body: { error: 'action: start or stop' } };
        const out = await control.recording.toggle(id, action === 'start', 'admin');
        if ('error' in out) return failed(out);
        return { status: 200, body: { ok: true, dialogId: id, action, ...out } };
      },
    },
    {
      method: 'POST',
      path: /^\/calls\/park\/?$/,
      handle: async (r) => {
        const id = await dialog(r);
        if (typeof id !== 'string') return id;
        const s = side(r);
        if (s === null) return { status: 400, body: { error: 'give side (caller|callee)' } };
        const out = await control.park(id, s);
        if ('error' in out) return failed(out);
        return { status: 200, body: { ok: out.slot !== null, dialogId: id, ...out } };
      },
    },
    {
      method: 'GET',
      path: /^\/park\/?$/,
      handle: async () => ({ status: 200, body: { parked: await control.parkSlots.list() } }),
    },
    {
      method: 'GET',
      path: /^\/policy\/?$/,
      handle: () => ({ status: 200, body: control.policy.snapshot() }),
    },
    {
      method: 'POST',
      path: /^\/policy\/?$/,
      handle: async (r) => {
        const body: Record<string, unknown> = {};
        if (param(r, 'maxDurationSeconds') !== undefined) {
          const max = numOrNull(r, 'maxDurationSeconds');
          if (max === undefined)
            return { status: 400, body: { error: 'maxDurationSeconds: an integer >= 0 or null' } };
          body['maxDuration'] = await control.setMaxDuration(max, bool(r, 'applyToActive', false));
        }
        const c = r.body['concurrency'];
        if (c !== undefined) {
          const spec: Record<string, unknown> = typeof c === 'object' && c !== null ? { ...c } : {};
          const route = spec['route'];
          const limit = spec['limit'];
          if (
            typeof route !== 'string' ||
            !(
              limit === null ||
              (typeof limit === 'number' && Number.isInteger(limit) && limit >= 0)
            )
          )
            return {
              status: 400,
              body: { error: 'concurrency: {route: string, limit: int >= 0 | null}' },
            };
          control.policy.setConcurrency(route, limit);
          if (limit !== null && limit > 0 && spec['applyToActive'] === true)
            body['concurrency'] = await control.enforceConcurrency(route, limit);
        }
        return { status: 200, body: { ...body, policy: control.policy.snapshot() } };
      },
    },
  ];
}
