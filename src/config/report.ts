/** Turns envalid's errors into our problem lines: one per bad variable, naming it. */
import { authSecrets } from './auth.js';
import { ConfigError } from './config-error.js';
import { jobsSecrets } from './jobs.js';
import { storeSecrets } from './store.js';
import { upstreamSecrets } from './upstream.js';

// Each section names its own secrets.
const SECRET_NAMES = new Set([...upstreamSecrets, ...jobsSecrets, ...authSecrets, ...storeSecrets]);

export type Env = Record<string, string | undefined>;

/** One line per bad variable, naming it; a secret's value is never shown. */
export function describeErrors(errors: Record<string, Error | undefined>, env: Env): string[] {
  return Object.entries(errors).flatMap(([name, error]) => {
    if (!error) return [];
    const raw = env[name];
    const shown = raw === undefined || SECRET_NAMES.has(name) ? '' : ` (got ${JSON.stringify(raw.length > 60 ? `${raw.slice(0, 60)}…` : raw)})`;
    return [`${name}: ${error.message}${shown}`];
  });
}

/** For loaders that stop at their own errors (the emulator alone). */
export function reportAll(errors: Record<string, Error | undefined>, env: Env): void {
  const problems = describeErrors(errors, env);
  if (problems.length > 0) throw new ConfigError(problems.join('\n'), problems);
}
