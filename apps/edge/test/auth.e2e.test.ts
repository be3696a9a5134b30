/**
 * Stateless digest at the edge process (users file): REGISTER → 401 →
 * answer → forwarded with Path; INVITE → 407 → answer → forwarded; a wrong
 * password is challenged again and never forwarded. The stale-nonce case
 * (stale=true) is covered with a fake clock in protection.test.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SipRequest } from '@strata/parser';
import {
  ASSERTION_HEADER,
  digestResponse,
  EdgeAssertion,
  type DigestAlgorithm,
} from '@strata/auth';
import {
  edgeEnv,
  sipRequest,
  startEdge,
  StubCore,
  UdpPeer,
  type EdgeProcess,
  type Received,
} from './support/harness.js';

const ASSERTION_SECRET = 'edge-to-core-secret-0123';

describe('edge process: digest authentication', () => {
  let dir: string;
  let core: StubCore;
  let client: UdpPeer;
  let edge: EdgeProcess;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'strata-edge-auth-'));
    const users = join(dir, 'users.yaml');
    writeFileSync(users, 'users:\n  alice:\n    password: wonderland\n');
    core = await new StubCore('c1').bind();
    client = await new UdpPeer().bind();
    edge = await startEdge(
      edgeEnv([core.core()], {
        STRATA_AUTH__ENABLED: 'true',
        STRATA_AUTH__SECRET: 'test-secret-0123456789',
        STRATA_AUTH__REALM: 'strata.test',
        STRATA_AUTH__USERS_FILE: users,
        STRATA_AUTH__EDGE_ASSERTION__SECRET: ASSERTION_SECRET,
      }),
    );
  });

  afterAll(async () => {
    await edge?.stop();
    await Promise.all([core?.close(), client?.close()]);
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  const responseTo = (callId: string, cseq: number) =>
    client.waitFor(
      (r) =>
        !r.msg.isRequest &&
        r.msg.callId === callId &&
        r.msg.cseq.seq === cseq &&
        r.msg.status >= 200,
      `final response to ${callId} CSeq ${cseq}`,
    );

  const answer = (
    challenge: Received,
    header: string,
    algorithm: DigestAlgorithm,
    method: string,
    uri: string,
    password = 'wonderland',
  ) => {
    const offers = challenge.msg.headers.getAll(header);
    const offer = offers.find((o) => o.includes(`algorithm=${algorithm}`))!;
    const nonce = /nonce="([^"]+)"/.exec(offer)![1]!;
    const realm = /realm="([^"]+)"/.exec(offer)![1]!;
    return digestResponse({
      algorithm,
      username: 'alice',
      realm,
      password,
      method,
      uri,
      nonce,
      cnonce: 'c0ffee',
      nc: '00000001',
    });
  };

  it('REGISTER: 401, then the answer is accepted and forwarded with Path and the edge’s signed assertion (a client’s own is dropped)', async () => {
    const callId = 'auth-register-1';
    const base = { method: 'REGISTER', uri: 'sip:127.0.0.1', callId, port: client.port };
    await client.send(sipRequest({ ...base, branch: 'z9hG4bK-reg-1', cseq: 1 }), edge.sipPort);
    const challenge = await responseTo(callId, 1);
    expect(challenge.msg).toMatchObject({ status: 401 });
    const offers = challenge.msg.headers.getAll('www-authenticate');
    expect(offers[0]).toMatch(
      /^Digest realm="strata\.test", nonce="[^"]+", algorithm=SHA-256, qop="auth"$/,
    );
    expect(offers[1]).toContain('algorithm=MD5');
    expect(core.calls().some((r) => r.msg.callId === callId)).toBe(false);

    const auth = answer(challenge, 'www-authenticate', 'SHA-256', 'REGISTER', 'sip:127.0.0.1');
    await client.send(
      sipRequest({
        ...base,
        branch: 'z9hG4bK-reg-2',
        cseq: 2,
        extra: [`Authorization: ${auth}`, `${ASSERTION_HEADER}: user="bob";ts=1;sig=forged`],
      }),
      edge.sipPort,
    );
    expect((await responseTo(callId, 2)).msg).toMatchObject({ status: 200 });
    const atCore = core.calls().find((r) => r.msg.callId === callId)!.msg as SipRequest;
    expect(atCore.method).toBe('REGISTER');
    expect(atCore.headers.get('path')).toMatch(
      new RegExp(`^<sip:f-[^@]+@127\\.0\\.0\\.1:${edge.sipPort};transport=udp;lr>$`),
    );
    // exactly one assertion, the edge's, naming the user the digest response proved
    expect(atCore.headers.getAll(ASSERTION_HEADER)).toHaveLength(1);
    expect(new EdgeAssertion({ secret: ASSERTION_SECRET }).verify(atCore)).toBe('alice');
  });

  it('strips a client’s assertion header from requests it does not authenticate', async () => {
    const callId = 'auth-forged-1';
    // MESSAGE is not in auth.methods: forwarded without a challenge, and without the header
    await client.send(
      sipRequest({
        method: 'MESSAGE',
        uri: 'sip:bob@127.0.0.1',
        callId,
        port: client.port,
        branch: 'z9hG4bK-forged-1',
        cseq: 1,
        extra: [`${ASSERTION_HEADER}: user="alice";ts=1;sig=forged`],
      }),
      edge.sipPort,
    );
    await responseTo(callId, 1);
    const atCore = core.calls().find((r) => r.msg.callId === callId)!.msg as SipRequest;
    expect(atCore.headers.has(ASSERTION_HEADER)).toBe(false);
  });

  it('INVITE: 407, then the answer (MD5) is accepted and forwarded; a wrong password is challenged again', async () => {
    const callId = 'auth-invite-1';
    const base = { method: 'INVITE', uri: 'sip:bob@127.0.0.1', callId, port: client.port };
    await client.send(sipRequest({ ...base, branch: 'z9hG4bK-inv-1', cseq: 1 }), edge.sipPort);
    const challenge = await responseTo(callId, 1);
    expect(challenge.msg).toMatchObject({ status: 407 });
    expect(challenge.msg.headers.getAll('proxy-authenticate')).toHaveLength(2);

    const wrong = answer(
      challenge,
      'proxy-authenticate',
      'MD5',
      'INVITE',
      'sip:bob@127.0.0.1',
      'looking-glass',
    );
    await client.send(
      sipRequest({
        ...base,
        branch: 'z9hG4bK-inv-2',
        cseq: 2,
        extra: [`Proxy-Authorization: ${wrong}`],
      }),
      edge.sipPort,
    );
    expect((await responseTo(callId, 2)).msg).toMatchObject({ status: 407 });
    expect(core.calls().some((r) => r.msg.callId === callId)).toBe(false);

    const right = answer(challenge, 'proxy-authenticate', 'MD5', 'INVITE', 'sip:bob@127.0.0.1');
    await client.send(
      sipRequest({
        ...base,
        branch: 'z9hG4bK-inv-3',
        cseq: 3,
        extra: [`Proxy-Authorization: ${right}`],
      }),
      edge.sipPort,
    );
    expect((await responseTo(callId, 3)).msg).toMatchObject({ status: 200 });
    expect(
      core
        .calls()
        .filter((r) => r.msg.callId === callId)
        .map((r) => (r.msg as SipRequest).method),
    ).toEqual(['INVITE']);
    expect((await edge.stats()).total.forwarder.dropped['auth-bad-response']).toBe(1);
  });
});
