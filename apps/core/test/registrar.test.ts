import { describe, expect, it } from 'vitest';
import { parseMessage, readContacts, type SipRequest } from '@strata/parser';
import type { MessageSource } from '@strata/transport';
import { MemoryLocationStore } from '../src/registrar/memory-location-store.js';
import { Registrar } from '../src/registrar/registrar.js';

let clock = 1_000_000;
const now = (): number => clock;

function register(opts: {
  contacts: string[];
  expires?: number;
  callId?: string;
  cseq?: number;
  extra?: string[];
}): SipRequest {
  const lines = [
    'REGISTER sip:example.com SIP/2.0',
    'Via: SIP/2.0/UDP 192.0.2.4:5060;branch=z9hG4bKreg' + String(opts.cseq ?? 1),
    'Max-Forwards: 70',
    'To: <sip:bob@example.com>',
    'From: <sip:bob@example.com>;tag=abc',
    `Call-ID: ${opts.callId ?? 'reg-1'}`,
    `CSeq: ${opts.cseq ?? 1} REGISTER`,
    ...opts.contacts.map((c) => `Contact: ${c}`),
    ...(opts.expires !== undefined ? [`Expires: ${opts.expires}`] : []),
    ...(opts.extra ?? []),
    'Content-Length: 0',
    '',
    '',
  ];
  return parseMessage(Buffer.from(lines.join('\r\n'))) as SipRequest;
}

const source: MessageSource = {
  transport: 'udp',
  address: '198.51.100.7',
  port: 40000,
  localAddress: '127.0.0.1',
  localPort: 5070,
  connectionId: null,
};

function makeRegistrar(): { reg: Registrar; store: MemoryLocationStore } {
  const store = new MemoryLocationStore(now);
  const reg = new Registrar(store, {
    minExpires: 60,
    maxExpires: 3600,
    defaultExpires: 3600,
    maxContacts: 5,
    domains: new Set(['example.com']),
    now,
  });
  return { reg, store };
}

describe('Registrar (RFC 3261 §10.3)', () => {
  it('binds, lists bindings in the 200, refreshes and expires', async () => {
    const { reg } = makeRegistrar();
    const out = await reg.register(
      register({ contacts: ['<sip:bob@192.0.2.4>'], expires: 600 }),
      source,
    );
    expect(out.response.status).toBe(200);
    expect(out.aor).toBe('sip:bob@example.com');
    // issue #12: nothing the core generates names the software
    expect(out.response.headers.has('server')).toBe(false);
    expect(out.response.headers.has('user-agent')).toBe(false);
    const listed = readContacts(out.response.headers);
    expect(listed).not.toBe('*');
    expect((listed as { expires: number | null }[])[0]?.expires).toBe(600);
    // NAT: the real source is kept beside the contact
    expect(out.bindings[0]?.received).toEqual({
      transport: 'udp',
      address: '198.51.100.7',
      port: 40000,
      connectionId: null,
    });

    clock += 300_000;
    const refreshed = await reg.register(
      register({ contacts: ['<sip:bob@192.0.2.4>'], expires: 600, cseq: 2 }),
      source,
    );
    expect(refreshed.bindings).toHaveLength(1);
    expect(refreshed.bindings[0]?.expiresAt).toBe(clock + 600_000);

    clock += 601_000;
    expect(await reg.lookup('sip:bob@example.com')).toHaveLength(0);
  });

  it('answers 423 with Min-Expires when the interval is too brief', async () => {
    const { reg } = makeRegistrar();
    const out = await reg.register(
      register({ contacts: ['<sip:bob@192.0.2.4>'], expires: 10 }),
      source,
    );
    expect(out.response.status).toBe(423);
    expect(out.response.headers.get('min-expires')).toBe('60');
  });

  it('keeps several contacts ordered by q, removes one, then all with *', async () => {
    const { reg } = makeRegistrar();
    await reg.register(
      register({
        contacts: ['<sip:bob@192.0.2.4>;q=0.5', '<sip:bob@192.0.2.5>;q=0.9'],
        expires: 600,
      }),
      source,
    );
    const found = await reg.lookup('sip:bob@example.com');
    expect(found.map((b) => b.contact)).toEqual(['sip:bob@192.0.2.5', 'sip:bob@192.0.2.4']);

    const one = await reg.register(
      register({ contacts: ['<sip:bob@192.0.2.4>;expires=0'], cseq: 2 }),
      source,
    );
    expect(one.bindings.map((b) => b.contact)).toEqual(['sip:bob@192.0.2.5']);

    const bad = await reg.register(register({ contacts: ['*'], cseq: 3 }), source);
    expect(bad.response.status).toBe(400);
    const all = await reg.register(register({ contacts: ['*'], expires: 0, cseq: 4 }), source);
    expect(all.response.status).toBe(200);
    expect(await reg.lookup('sip:bob@example.com')).toHaveLength(0);
  });

  it('refuses a stale CSeq on the same Call-ID', async () => {
    const { reg } = makeRegistrar();
    await reg.register(
      register({ contacts: ['<sip:bob@192.0.2.4>'], expires: 600, cseq: 5 }),
      source,
    );
    const stale = await reg.register(
      register({ contacts: ['<sip:bob@192.0.2.4>'], expires: 600, cseq: 5 }),
      source,
    );
    expect(stale.response.status).toBe(500);
  });

  it('stores Path and echoes it when the UA supports path (RFC 3327)', async () => {
    const { reg } = makeRegistrar();
    const out = await reg.register(
      register({
        contacts: ['<sip:bob@10.0.0.9>'],
        expires: 600,
        extra: ['Path: <sip:f-tok@edge.example:5060;lr>', 'Supported: path'],
      }),
      source,
    );
    expect(out.bindings[0]?.path).toEqual(['<sip:f-tok@edge.example:5060;lr>']);
    expect(out.response.headers.get('path')).toBe('<sip:f-tok@edge.example:5060;lr>');
  });

  it('rejects foreign domains and bindings beyond the limit', async () => {
    const { reg } = makeRegistrar();
    const foreign = parseMessage(
      Buffer.from(
        register({ contacts: ['<sip:x@1.2.3.4>'] })
          .source!.toString()
          .replace('REGISTER sip:example.com', 'REGISTER sip:other.net'),
      ),
    ) as SipRequest;
    expect((await reg.register(foreign, source)).response.status).toBe(403);
    const many = Array.from({ length: 6 }, (_, i) => `<sip:bob@192.0.2.${i + 10}>`);
    expect(
      (await reg.register(register({ contacts: many, expires: 600 }), source)).response.status,
    ).toBe(403);
    // applied whole or not at all
    expect(await reg.lookup('sip:bob@example.com')).toHaveLength(0);
  });
});
