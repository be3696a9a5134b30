/** Schema pieces both apps use. */
import { z } from 'zod';

export const logLevelSchema = z
  .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  .default('info');

export const listenerSchema = z.object({
  transport: z.enum(['udp', 'tcp', 'tls', 'ws', 'wss']),
  host: z.string().min(1),
  port: z.number().int().min(0).max(65535),
  /** address written into Via/Record-Route when it differs from the bound one (NAT, containers) */
  advertise: z.string().optional(),
  advertisePort: z.number().int().min(1).max(65535).optional(),
  /** TLS/WSS certificate and key files */
  cert: z.string().optional(),
  key: z.string().optional(),
});

export type ListenerConfig = z.infer<typeof listenerSchema>;

/** 4 MiB: ≈ 3 300 queued datagrams of 600 bytes (the kernel charges ≈ 1.3 kB each on loopback). */
export const DEFAULT_UDP_RECV_BUFFER = 4 * 1024 * 1024;

/**
 * SO_RCVBUF / SO_SNDBUF of the UDP listeners, in bytes. The receive buffer holds what arrives
 * while the process is busy (a GC pause, a burst); once it is full the kernel drops datagrams
 * and only retransmissions make up for them. The kernel's default (≈ 208 kB, ≈ 170 such
 * datagrams) lasts ≈ 28 ms at 6 000 datagrams/s, the core's load at 1 000 calls/s, and
 * `pnpm bench:sipp` showed the core's socket dropping there. The kernel caps the request at
 * net.core.rmem_max / wmem_max (the transport warns when it does): raise those for the
 * default to take full effect.
 */
export const udpSocketSchema = z
  .object({
    recvBufferSize: z.number().int().min(4096).default(DEFAULT_UDP_RECV_BUFFER),
    sendBufferSize: z.number().int().min(4096).optional(),
  })
  .default({});

/** A standalone Redis server and the prefix of the keys the platform keeps there. */
export const redisEndpointSchema = z.object({
  host: z.string().default('127.0.0.1'),
  port: z.number().int().min(1).max(65535).default(6379),
  password: z.string().optional(),
  keyPrefix: z.string().default('strata'),
});

/**
 * Digest authentication keys the edge (`auth`) and the core (`registrar.auth`) share, so
 * both read one users file or one Redis hash with the same meaning (RFC 3261 §22).
 */
export const digestAuthSchema = z.object({
  enabled: z.boolean().default(false),
  /** the same on edges and cores when HA1 values are shared (HA1 includes the realm) */
  realm: z.string().default('strata'),
  /** HMAC key of the nonce, ≥ 16 characters, the same on every node of the tier */
  secret: z.string().min(16).optional(),
  algorithms: z
    .array(z.enum(['SHA-256', 'MD5']))
    .min(1)
    .default(['SHA-256', 'MD5']),
  nonceTtlSeconds: z.number().int().positive().default(300),
  /** YAML/JSON `{ users: { alice: { password: "…" } } }` (or `ha1: { SHA-256, MD5 }`) */
  usersFile: z.string().optional(),
  /** or the hash `<keyPrefix>:user:<name>` (password | ha1_md5 | ha1_sha256); wins over usersFile */
  redis: redisEndpointSchema.optional(),
});
