/**
 * The service logger: pino JSON lines on stdout. Events worth an operator's attention are
 * single structured lines with an `event` field (partition-paused, batch-size-changed, ...).
 */
import pino from 'pino';

export type Logger = pino.Logger;

export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino({
    name: options.name ?? 'sluice',
    level: options.level ?? process.env.SLUICE_LOG_LEVEL ?? 'info',
    base: { service: 'sluice' },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}

/** A logger that writes nothing, for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
