/** The MetaStudio emulator: embedded in the gateway (no upstream configured), or alone (`npm run emulator`). */
import { bool, cleanEnv, type CleanedEnv } from 'envalid';
import type { RateLimits } from '../budget/rate-limits.js';
import { budgetConfig, budgetSpec } from './budget.js';
import { reportAll, type Env } from './report.js';
import { upstreamSpec } from './upstream.js';
import { int, nonEmpty } from './validators.js';

/** What the gateway reads for its embedded emulator. */
export const embeddedEmulatorSpec = {
  EMULATOR_JOB_DURATION_MS: int(0, 86_400_000)({ default: 3000 }),
};

/** Job duration of the embedded emulator. */
export function embeddedEmulatorConfig(e: CleanedEnv<typeof embeddedEmulatorSpec>): { emulatorJobDurationMs: number } {
  return { emulatorJobDurationMs: e.EMULATOR_JOB_DURATION_MS };
}

/** What the emulator alone reads (besides the budget section's EMULATOR_RATE_LIMITS). */
export const standaloneEmulatorSpec = {
  EMULATOR_PORT: int(0, 65535)({ default: 4010 }),
  EMULATOR_HOST: nonEmpty({ default: '127.0.0.1' }),
  // The same credentials the gateway signs with, declared once by the upstream section.
  CLOUD_SDK_AK: upstreamSpec.CLOUD_SDK_AK,
  CLOUD_SDK_SK: upstreamSpec.CLOUD_SDK_SK,
  METASTUDIO_PROJECT_ID: upstreamSpec.METASTUDIO_PROJECT_ID,
  METASTUDIO_IAM_TOKEN: upstreamSpec.METASTUDIO_IAM_TOKEN,
  ...embeddedEmulatorSpec,
  EMULATOR_MAX_PHOTO_BYTES: int(1, 2 ** 40)({ default: 10485760 }),
  EMULATOR_CONTROL_API: bool({ default: false }),
};

export interface EmulatorConfig {
  port: number;
  host: string;
  ak: string | undefined;
  sk: string | undefined;
  projectId: string | undefined;
  iamToken: string | undefined;
  jobDurationMs: number;
  maxPhotoBytes: number;
  controlApi: boolean;
  /** EMULATOR_RATE_LIMITS; undefined: off. */
  rateLimits: RateLimits | undefined;
}

/**
 * For `npm run emulator`: the emulator alone.
 * @throws ConfigError listing every problem at once, one line each, each naming its variable.
 */
export function loadEmulatorConfig(env: Env = process.env): EmulatorConfig {
  const e = cleanEnv(env, { ...standaloneEmulatorSpec, ...budgetSpec }, { reporter: ({ errors }) => reportAll(errors as Record<string, Error | undefined>, env) });
  return {
    port: e.EMULATOR_PORT,
    host: e.EMULATOR_HOST,
    ak: e.CLOUD_SDK_AK,
    sk: e.CLOUD_SDK_SK,
    projectId: e.METASTUDIO_PROJECT_ID,
    iamToken: e.METASTUDIO_IAM_TOKEN,
    jobDurationMs: e.EMULATOR_JOB_DURATION_MS,
    maxPhotoBytes: e.EMULATOR_MAX_PHOTO_BYTES,
    controlApi: e.EMULATOR_CONTROL_API,
    rateLimits: budgetConfig(e).emulatorLimits,
  };
}
