import { pino, type Logger } from 'pino';

/** Used when no logger is injected: pino at level silent costs nothing (§3.6). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
