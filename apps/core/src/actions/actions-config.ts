/** `actions:` in the core config (issue #14): how mid-call actions behave. */
import { z } from 'zod';

export const actionsConfigSchema = z
  .object({
    /** how long a transfer waits for the referee's final NOTIFY (sipfrag) before answering */
    referWaitMs: z.number().int().min(0).default(10_000),
    /**
     * after a successful transfer (NOTIFY 2xx) the core ends the old dialog (BYE both legs,
     * CDR party `transfer`) this long after, so the NOTIFY's own answer is relayed first;
     * -1 = leave the old dialog to the parties
     */
    transferHangupDelayMs: z.number().int().min(-1).default(500),
    /** host[:port] a bare number (feature code `*2<number>#`) is sent to; default the callee URI's */
    transferDomain: z.string().optional(),
  })
  .default({});

export type ActionsConfig = z.infer<typeof actionsConfigSchema>;
