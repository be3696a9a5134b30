/**
 * The core's admin API (#9), under /admin/ on the status server (auth: @strata/ops http.ts):
 *   GET  /admin/dialogs?callId=&user=&state=   dialogs in the store (this node's and, with Redis, the cluster's)
 *   POST /admin/dialogs/end?id=… | ?callId=…   end dialogs: BYE to both sides, CDR (hangup party "proxy")
 *   GET  /admin/registrations?aor=             bindings per AoR
 *   POST /admin/reload                         re-read $STRATA_CONFIG + env, swap routes/hunt/media groups
 *   POST /admin/drain   GET /admin/drain       start draining / drain state
 *   /admin/calls/…, /admin/policy              issue #14: actions/admin-routes.ts
 *   /admin/lcr…, /admin/forwarding…            issue #13: lcr/lcr-admin.ts, forwarding/forwarding-admin.ts
 */
import type { AdminReply, AdminRoute } from '@strata/ops';
import type { DialogState } from '@strata/dialog';
import { callControlAdminRoutes } from '../actions/admin-routes.js';
import type { CoreNode } from '../core-node.js';
import { forwardingAdminRoutes } from '../forwarding/forwarding-admin.js';
import { lcrAdminRoutes } from '../lcr/lcr-admin.js';
import type { CoreDrain } from './drain.js';

export interface CoreAdminDeps {
  core: CoreNode;
  drain: CoreDrain;
  /** reload the routing config; throws (ConfigError) when the new config is bad */
  reload: () => { routes: number; mediaGroups: string[] };
}

export function coreAdminRoutes(d: CoreAdminDeps): AdminRoute[] {
  const { core } = d;
  const findDialogs = async (q: {
    id?: string | null;
    callId?: string | null;
    user?: string | null;
    state?: string | null;
  }): Promise<DialogState[]> => {
    if (q.id != null && q.id !== '') {
      const one = await core.stores.dialogs.get(q.id);
      return one === null ? [] : [one];
    }
    const list = await core.stores.dialogs.list(
      q.callId != null && q.callId !== '' ? { callId: q.callId } : {},
    );
    return list.filter(
      (s) =>
        (q.state == null || q.state === '' || s.state === q.state) &&
        (q.user == null ||
          q.user === '' ||
          userOf(s.caller.uri) === q.user ||
          userOf(s.callee.uri) === q.user),
    );
  };
  const param = (
    q: URLSearchParams,
    body: Record<string, unknown>,
    name: string,
  ): string | null => {
    const b = body[name];
    return q.get(name) ?? (typeof b === 'string' ? b : null);
  };
  return [
    {
      method: 'GET',
      path: /^\/dialogs\/?$/,
      handle: async ({ query }) => {
        const dialogs = await findDialogs({
          callId: query.get('callId'),
          user: query.get('user'),
          state: query.get('state'),
        });
        return { status: 200, body: { count: dialogs.length, dialogs: dialogs.map(summary) } };
      },
    },
    {
      method: 'POST',
      path: /^\/dialogs\/end\/?$/,
      handle: async ({ query, body }): Promise<AdminReply> => {
        const id = param(query, body, 'id');
        const callId = param(query, body, 'callId');
        if (id === null && callId === null)
          return { status: 400, body: { error: 'give id or callId' } };
        const targets = (await findDialogs({ id, callId })).filter((s) => s.state !== 'terminated');
        if (targets.length === 0) return { status: 404, body: { error: 'no such dialog' } };
        const ended: string[] = [];
        for (const s of targets)
          if (await core.dialogs.endDialog(s.id, 'proxy', 'admin')) ended.push(s.id);
        return { status: 200, body: { ended } };
      },
    },
    {
      method: 'GET',
      path: /^\/registrations\/?$/,
      handle: async ({ query }) => {
        const want = query.get('aor');
        const aors = want !== null ? [want] : await core.stores.locations.listAors();
        const out: Record<string, unknown[]> = {};
        for (const aor of aors) {
          const bindings = await core.stores.locations.get(aor);
          if (bindings.length === 0) continue;
          out[aor] = bindings.map((b) => ({
            contact: b.contact,
            expiresInSeconds: Math.max(0, Math.round((b.expiresAt - Date.now()) / 1000)),
            q: b.q,
            path: b.path,
            received: b.received,
            instanceId: b.instanceId,
            userAgent: b.userAgent,
          }));
        }
        return { status: 200, body: { aors: Object.keys(out).length, registrations: out } };
      },
    },
    {
      method: 'POST',
      path: /^\/reload\/?$/,
      handle: () => {
        try {
          return { status: 200, body: { reloaded: true, ...d.reload() } };
        } catch (err) {
          return { status: 422, body: { reloaded: false, error: (err as Error).message } };
        }
      },
    },
    {
      method: 'POST',
      path: /^\/drain\/?$/,
      handle: () => ({ status: 202, body: d.drain.start('admin') }),
    },
    {
      method: 'GET',
      path: /^\/drain\/?$/,
      handle: () => ({ status: 200, body: d.drain.status() }),
    },
    ...callControlAdminRoutes(core.control),
    ...lcrAdminRoutes(core.lcr),
    ...forwardingAdminRoutes(core.forwardingStore),
  ];
}

function userOf(uri: string): string | null {
  const m = /^(?:sips?|tel):([^@;>]+)@/i.exec(uri.replace(/^.*</, ''));
  return m?.[1] ?? null;
}

function summary(s: DialogState): Record<string, unknown> {
  return {
    id: s.id,
    callId: s.callId,
    state: s.state,
    caller: s.caller.uri,
    callee: s.callee.uri,
    createdAt: s.createdAt,
    answeredAt: s.answeredAt,
    ownerNode: s.ownerNode,
  };
}
