/** Just enough of the npm `sip` package (kirm/sip.js 0.0.6), the benchmark's peer. */
declare module 'sip' {
  interface SipJsMessage {
    method?: string;
    uri?: string;
    status?: number;
    headers: Record<string, unknown> & { via?: unknown[] };
    content?: string;
  }
  const sip: {
    parse(data: string | Buffer): SipJsMessage | undefined;
    stringify(message: SipJsMessage): string;
  };
  export default sip;
}
