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
