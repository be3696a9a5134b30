/**
 * `routes[].policies` (issue #14): mid-call actions a route schedules on its calls, run
 * through the same CallControl methods as the admin API. Timed from the answer.
 */
import { z } from 'zod';

const party = z.enum(['caller', 'callee']);
/** seconds after the 200 OK to the INVITE (the dialog's answeredAt) */
const after = z
  .number()
  .min(0)
  .max(86_400 * 7);

export const routePolicySchema = z.discriminatedUnion('action', [
  /** BYE both legs, CDR party proxy, reason `policy` */
  z.object({ action: z.literal('end'), afterAnsweredSeconds: after }).strict(),
  /** REFER `party` to `target` (a SIP URI, or a bare number at actions.transferDomain) */
  z
    .object({
      action: z.literal('transfer'),
      afterAnsweredSeconds: after,
      party,
      target: z.string().min(1),
    })
    .strict(),
  /** re-INVITE `party` with the peer's last SDP as sendonly (RFC 3264 §8.4) / sendrecv */
  z.object({ action: z.literal('hold'), afterAnsweredSeconds: after, party }).strict(),
  z.object({ action: z.literal('resume'), afterAnsweredSeconds: after, party }).strict(),
  /** park `party` on the media server (the other party is the parker) */
  z.object({ action: z.literal('park'), afterAnsweredSeconds: after, party }).strict(),
  /** at 0: the same as the route's `record: true`; later: the media server's one-touch code */
  z.object({ action: z.literal('record'), afterAnsweredSeconds: after }).strict(),
  z.object({ action: z.literal('stop-record'), afterAnsweredSeconds: after }).strict(),
]);

export type RoutePolicy = z.infer<typeof routePolicySchema>;

export const routePoliciesSchema = z.array(routePolicySchema).max(32).optional();
