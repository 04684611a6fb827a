/** JSON logs (pino). Secrets are redacted by path, whatever a caller passes in. */
import { pino, type Logger } from 'pino';
import { activeTraceId } from './tracing.js';

export type { Logger } from 'pino';

export const REDACTED_PATHS = [
  'sk',
  '*.sk',
  'securityToken',
  '*.securityToken',
  'iamToken',
  '*.iamToken',
  'secret',
  '*.secret',
  'headers.authorization',
  'headers["x-auth-token"]',
  'headers["x-security-token"]',
  'token',
  '*.token',
];

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'metastudio-gateway' },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      // Lines written while a request or a create is traced carry its trace id.
      mixin: () => {
        const traceId = activeTraceId();
        return traceId ? { traceId } : {};
      },
    },
    destination as never,
  );
}
