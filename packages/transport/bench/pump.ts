/** Windowed UDP load: send through the relay, count what reaches the sink. */
import type dgram from 'node:dgram';

export /** Send `n` messages keeping `window` in flight; a stall of 50 ms counts the window as lost and refills it. */
function pump(
  n: number,
  relayPort: number,
  sink: dgram.Socket,
  gen: dgram.Socket,
  messages: Buffer[],
  maxMs: number,
  window: number,
): Promise<{ received: number; lost: number }> {
  return new Promise((resolve) => {
    let sent = 0;
    let received = 0;
    let lost = 0;
    let inFlight = 0;
    const deadline = Date.now() + maxMs;
    const sendOne = (): void => {
      sent++;
      inFlight++;
      gen.send(messages[sent % messages.length]!, relayPort, '127.0.0.1');
    };
    let stall = setTimeout(onStall, 50);
    function onStall(): void {
      if (Date.now() > deadline) return finish();
      lost += inFlight;
      inFlight = 0;
      while (inFlight < window && sent < n) sendOne();
      if (sent >= n && inFlight === 0) return finish();
      stall = setTimeout(onStall, 50);
    }
    function finish(): void {
      clearTimeout(stall);
      sink.off('message', onMessage);
      resolve({ received, lost });
    }
    function onMessage(): void {
      received++;
      inFlight = Math.max(0, inFlight - 1);
      stall.refresh();
      if (sent < n) sendOne();
      else if (inFlight === 0 || received + lost >= n) finish();
    }
    sink.on('message', onMessage);
    while (inFlight < window && sent < n) sendOne();
  });
}

/**
 * Send `n` messages at `rate` per second whatever the relay does (open loop),
 * a burst per timer tick, and count what reaches the sink. Both relays then
 * see the same input; in the windowed pump a slower relay leaves the sink
 * idle more often, and waking it is charged to the relay's sendmsg.
 * Messages not seen 200 ms after the last send count as lost.
 */
export function pumpPaced(
  n: number,
  rate: number,
  relayPort: number,
  sink: dgram.Socket,
  gen: dgram.Socket,
  messages: Buffer[],
  maxMs: number,
): Promise<{ received: number; lost: number }> {
  return new Promise((resolve) => {
    let sent = 0;
    let received = 0;
    const t0 = performance.now();
    const deadline = t0 + maxMs;
    const onMessage = (): void => {
      received++;
      if (sent >= n && received >= n) finish();
    };
    sink.on('message', onMessage);
    let drain: NodeJS.Timeout | null = null;
    const tick = setInterval(() => {
      const now = performance.now();
      const due = Math.min(n, Math.floor(((now - t0) * rate) / 1000));
      while (sent < due) gen.send(messages[sent++ % messages.length]!, relayPort, '127.0.0.1');
      if (sent >= n || now > deadline) {
        clearInterval(tick);
        drain = setTimeout(finish, 200);
      }
    }, 1);
    function finish(): void {
      clearInterval(tick);
      if (drain !== null) clearTimeout(drain);
      sink.off('message', onMessage);
      resolve({ received, lost: Math.max(0, sent - received) });
    }
  });
}
