// Container health probe for the Strata edge and core images.
//
// Default: sends one SIP OPTIONS over UDP to 127.0.0.1:$SIP_PORT and exits 0
// on any SIP response (even 4xx/5xx: the process is alive and parsing), 1 on
// timeout or socket error. When the apps grow an HTTP health endpoint, set
// STRATA_HEALTH_URL (e.g. http://127.0.0.1:8080/health) and the probe uses it
// instead: exit 0 on a 2xx.
//
// Env: SIP_PORT (5060), STRATA_HEALTH_HOST (127.0.0.1),
//      STRATA_HEALTH_TIMEOUT_MS (2000), STRATA_HEALTH_URL.
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';

const timeoutMs = Number(process.env.STRATA_HEALTH_TIMEOUT_MS ?? 2000);
const fail = (why) => {
  process.stderr.write(`unhealthy: ${why}\n`);
  process.exit(1);
};
setTimeout(() => fail(`no answer within ${timeoutMs} ms`), timeoutMs).unref();

const url = process.env.STRATA_HEALTH_URL;
if (url) {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (res.ok) process.exit(0);
    fail(`${url} answered ${res.status}`);
  } catch (err) {
    fail(`${url}: ${err.message}`);
  }
} else {
  const host = (process.env.STRATA_HEALTH_HOST ?? '127.0.0.1').replace(/^localhost$/, '127.0.0.1');
  const port = Number(process.env.SIP_PORT ?? 5060);
  const sock = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  sock.on('error', (err) => fail(err.message));
  sock.on('message', (buf) => {
    const first = buf.toString('latin1', 0, Math.min(buf.length, 64)).split('\r\n')[0];
    if (first.startsWith('SIP/2.0 ')) {
      process.stdout.write(`${first}\n`);
      process.exit(0);
    }
  });
  const loopback = host === '127.0.0.1' || host === '::1';
  sock.bind(0, loopback ? host : undefined, () => {
    const local = sock.address();
    const tag = randomBytes(6).toString('hex');
    const branch = `z9hG4bK-hc-${randomBytes(8).toString('hex')}`;
    const callId = `hc-${randomBytes(10).toString('hex')}@${local.address}`;
    const target = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    const msg =
      `OPTIONS sip:${target} SIP/2.0\r\n` +
      `Via: SIP/2.0/UDP ${local.address}:${local.port};branch=${branch};rport\r\n` +
      `Max-Forwards: 70\r\n` +
      `From: <sip:healthcheck@${local.address}>;tag=${tag}\r\n` +
      `To: <sip:${target}>\r\n` +
      `Call-ID: ${callId}\r\n` +
      `CSeq: 1 OPTIONS\r\n` +
      `Accept: application/sdp\r\n` +
      `User-Agent: strata-healthcheck\r\n` +
      `Content-Length: 0\r\n\r\n`;
    sock.send(msg, port, host);
  });
}
