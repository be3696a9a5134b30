/** The one root logger per app; layers take `logger.child({ component })`. */
import { pino, type Logger } from 'pino';

export function createRootLogger(app: string, nodeId: string, level: string): Logger {
  return pino({ level, base: { app, node: nodeId } });
}

export type { Logger };
