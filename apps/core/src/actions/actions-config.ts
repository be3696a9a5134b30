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
    recording: z
      .object({
        /** header on the INVITE to the media server naming the recording file */
        header: z.string().min(1).default('X-Strata-Record'),
        /** record every call from or to these users (regular expressions over the user part) */
        users: z.array(z.string()).default([]),
        /**
         * DTMF the media server's one-touch recording listens for (Asterisk `automixmon`);
         * the core sends it as INFO to the media leg for mid-call start/stop. Empty = none.
         */
        mediaFeatureCode: z
          .string()
          .regex(/^[0-9*#A-D]*$/)
          .default(''),
      })
      .default({}),
    park: z
      .object({
        /** media group whose servers hold parked calls (the call's own server when it has one) */
        mediaGroup: z.string().default('media'),
        firstSlot: z.number().int().min(1).default(701),
        lastSlot: z.number().int().min(1).default(720),
        /** the parked party is REFERred to sip:<prefix><slot>@<media server> */
        prefix: z.string().default('park-'),
        /**
         * header on the parked party's INVITE to `park-<slot>` naming the parker, so the media
         * server can ring the parker back when the park times out
         */
        parkerHeader: z.string().min(1).default('X-Strata-Parker'),
        /** how long the core keeps slot → server (match the media server's park timeout) */
        timeoutSeconds: z.number().int().min(1).default(300),
      })
      .default({}),
  })
  .default({});

export type ActionsConfig = z.infer<typeof actionsConfigSchema>;
