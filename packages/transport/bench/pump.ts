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
