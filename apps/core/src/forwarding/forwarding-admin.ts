/**
 * Admin API for call forwarding (under /admin/, bearer token):
 *   GET    /admin/forwarding[?user=sip:alice@example.com]   one user's settings, or all
 *   POST   /admin/forwarding  {"user": "sip:alice@…", "busy": "bob", "noAnswer": "+4420…", "noAnswerSeconds": 15}
 *                             replaces the user's settings (validated; 422 names bad fields)
 *   DELETE /admin/forwarding?user=sip:alice@example.com     forwarding off for that user
 */
import type { AdminRoute } from '@strata/ops';
import { forwardingSettingsSchema } from './forwarding-config.js';
import type { ForwardingStore } from './settings-store.js';

export function forwardingAdminRoutes(store: ForwardingStore): AdminRoute[] {
  return [
    {
      method: 'GET',
      path: /^\/forwarding\/?$/,
      handle: async ({ query }) => {
        const user = query.get('user');
        if (user === null) return { status: 200, body: { users: await store.list() } };
        const s = await store.get(user);
        return s === null
          ? { status: 404, body: { error: 'no forwarding for this user' } }
          : { status: 200, body: { user, settings: s } };
      },
    },
    {
      method: 'POST',
      path: /^\/forwarding\/?$/,
      handle: async ({ body }) => {
        const { user, ...rest } = body;
        if (typeof user !== 'string' || !/^sips?:[^@\s]+@\S+$/.test(user))
          return {
            status: 400,
            body: { error: 'give user as an AoR, e.g. sip:alice@example.com' },
          };
        const parsed = forwardingSettingsSchema.safeParse(rest);
        if (!parsed.success)
          return {
            status: 422,
            body: {
              error: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
            },
          };
        await store.set(user.toLowerCase(), parsed.data);
        return { status: 200, body: { user: user.toLowerCase(), settings: parsed.data } };
      },
    },
    {
      method: 'DELETE',
      path: /^\/forwarding\/?$/,
      handle: async ({ query }) => {
        const user = query.get('user');
        if (user === null) return { status: 400, body: { error: 'give user' } };
        return (await store.delete(user.toLowerCase()))
          ? { status: 200, body: { deleted: user } }
          : { status: 404, body: { error: 'no forwarding for this user' } };
      },
    },
  ];
}
