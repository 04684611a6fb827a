/**
 * The only place the environment is read for the gateway. Each section (one module each)
 * declares its variables, parses them and checks them against each other; here they are
 * parsed together, so every problem of every section is reported at once, one line each
 * naming its variable (never echoing a secret), and start-up stops.
 */
import { cleanEnv } from 'envalid';
import { authConfig, authSpec, type AuthConfig } from './auth.js';
import { budgetConfig, budgetSpec, type BudgetConfig } from './budget.js';
import { clientsConfig, clientsSpec, type ClientsConfig } from './clients.js';
import { ConfigError } from './config-error.js';
import { embeddedEmulatorConfig, embeddedEmulatorSpec, standaloneEmulatorSpec } from './emulator.js';
import { jobsConfig, jobsSpec, type JobsConfig } from './jobs.js';
import { limitsConfig, limitsSpec, type LimitsConfig, type SecurityConfig } from './limits.js';
import { describeErrors, type Env } from './report.js';
import { serverConfig, serverSpec, type ServerConfig } from './server.js';
import { storeConfig, storeSpec, type StoreConfig } from './store.js';
import { tracingEnabled, tracingSpec } from './tracing.js';
import { unknownVariableWarnings } from './unknown-variables.js';
import { isRemote, upstreamConfig, upstreamSpec, type UpstreamConfig } from './upstream.js';

export { ConfigError } from './config-error.js';
export { parseApiKeysFile, type ApiKeyEntry, type AuthConfig } from './auth.js';
export type { BudgetConfig } from './budget.js';
export type { ClientsConfig } from './clients.js';
export { loadEmulatorConfig, type EmulatorConfig } from './emulator.js';
export type { LimitsConfig, SecurityConfig } from './limits.js';
export type { RedisConfig, RedisNode } from './store.js';
export type { UpstreamConfig } from './upstream.js';

export interface GatewayConfig extends ServerConfig, StoreConfig, JobsConfig {
  upstream: UpstreamConfig;
  maxUploadBytes: number;
  /** Job duration of the embedded emulator. */
  emulatorJobDurationMs: number;
  auth: AuthConfig;
  /** Export traces over OTLP/HTTP (the standard OTEL_* variables configure the exporter). */
  tracing: boolean;
  limits: LimitsConfig;
  security: SecurityConfig;
  budget: BudgetConfig;
  clients: ClientsConfig;
  /** Variables with one of our prefixes that no section declares (likely misspelt); logged at start-up, not fatal. */
  warnings: readonly string[];
}

const gatewaySpec = {
  ...serverSpec,
  ...upstreamSpec,
  ...storeSpec,
  ...jobsSpec,
  ...embeddedEmulatorSpec,
  ...authSpec,
  ...tracingSpec,
  ...limitsSpec,
  ...budgetSpec,
  ...clientsSpec,
};

/** Every variable some section declares, the emulator alone's included (docs/configuration.md documents exactly these). */
export const DECLARED_VARIABLES: readonly string[] = [...new Set([...Object.keys(gatewaySpec), ...Object.keys(standaloneEmulatorSpec)])];

/**
 * @throws ConfigError listing every problem at once, one line each, each naming its variable.
 */
export function loadConfig(env: Env = process.env): GatewayConfig {
  const problems: string[] = [];
  // A plain copy: envalid's own object throws when an invalid variable is read, and the
  // sections' checks across variables run (and report) even when some are invalid.
  const e = { ...cleanEnv(env, gatewaySpec, { reporter: ({ errors }) => problems.push(...describeErrors(errors as Record<string, Error | undefined>, env)) }) };

  const config: GatewayConfig = {
    ...serverConfig(e, problems),
    upstream: upstreamConfig(e, problems),
    ...storeConfig(e, problems),
    ...jobsConfig(e),
    ...embeddedEmulatorConfig(e),
    auth: authConfig(e, isRemote(e), problems),
    tracing: tracingEnabled(e),
    ...limitsConfig(e),
    budget: budgetConfig(e),
    clients: clientsConfig(e),
    warnings: unknownVariableWarnings(env, DECLARED_VARIABLES),
  };
  if (problems.length > 0) throw new ConfigError(problems.join('\n'), problems);
  return config;
}
