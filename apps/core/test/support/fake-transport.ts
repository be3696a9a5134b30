/** A Transport for CoreNode unit tests: records what is sent, delivers parsed text as received. */
import { parseMessage, type SipMessage } from '@strata/parser';
import type { Destination, MessageHandler, MessageSource, Transport } from '@strata/transport';

export class FakeTransport implements Transport {
  readonly sent: { message: SipMessage; destination: Destination }[] = [];
  private handler: MessageHandler | null = null;
  private waiter: ((m: SipMessage) => void) | null = null;
  send(message: SipMessage | Uint8Array, destination: Destination): Promise<void> {
    // the layers above may hand over serialised bytes
    const parsed = message instanceof Uint8Array ? parseMessage(Buffer.from(message)) : message;
    this.sent.push({ message: parsed, destination });
    this.waiter?.(parsed);
    return Promise.resolve();
  }
  onMessage(handler: MessageHandler): () => void {
    this.handler = handler;
    return () => (this.handler = null);
  }
  viaFor(): { transport: string; host: string; port: number } {
    return { transport: 'UDP', host: '127.0.0.1', port: 5070 };
  }
  isReliable(): boolean {
    return false;
  }
  deliver(text: string, source: MessageSource): void {
    this.handler?.(parseMessage(Buffer.from(text)), source);
  }
  /** resolves when a request with this method is sent, bounded */
  async nextRequest(method: string): Promise<void> {
    await this.nextSent((m) => m.isRequest && m.method === method);
  }

  /** the next message sent that matches, within 2 s */
  nextSent(match: (m: SipMessage) => boolean): Promise<SipMessage> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('nothing matching sent')), 2000);
      this.waiter = (m) => {
        if (!match(m)) return;
        clearTimeout(t);
        this.waiter = null;
        resolve(m);
      };
    });
  }
}
