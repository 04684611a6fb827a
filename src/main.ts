/**
 * `npm start`: the gateway, plus an embedded MetaStudio emulator when no upstream is
 * configured. Prints the URLs it serves; SIGTERM/SIGINT drain and exit 0. `--help` and
 * `--version` print and exit without starting anything.
 */
import { helpText, parseArguments, versionText } from './cli.js';
import { ConfigError, loadConfig } from './config.js';
import type { Emulator } from './emulator/create-emulator.js';
import { createGateway } from './gateway.js';
import { describeRedis } from './jobs/store/redis-connection.js';
import { createLogger } from './observability/logger.js';
import { startOtlpTracing } from './observability/tracing.js';
import { startServer, type RunningServer } from './server.js';

async function main(): Promise<void> {
  const command = parseArguments(process.argv.slice(2));
  if (command.kind === 'help') return void process.stdout.write(helpText());
  if (command.kind === 'version') return void process.stdout.write(versionText());
  if (command.kind === 'unknown') {
    process.stderr.write(`Unknown argument ${JSON.stringify(command.argument)}: settings are environment variables (see --help)\n`);
    process.exit(2);
  }
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      // Every problem at once, one line each, each naming its variable.
      process.stderr.write(error.problems.map((problem) => `Invalid configuration: ${problem}\n`).join(''));
      process.exit(1);
    }
    throw error;
  }
  // Before anything else, so every span has a provider to go to.
  const tracing = config.tracing ? startOtlpTracing() : undefined;
  const log = createLogger(config.logLevel);
  // A likely misspelt variable: said once, but start-up goes on (its default applies).
  for (const warning of config.warnings) log.warn(`Unknown configuration: ${warning}`);
  // Last resort (issue 22): a rejection some code left unhandled is a bug to log loudly,
  // not a reason to drop every client of this instance.
  process.on('unhandledRejection', (reason) => {
    const err = reason instanceof Error ? { message: reason.message, stack: reason.stack } : { message: String(reason) };
    log.error({ err }, 'unhandled rejection (a bug): logged, the gateway keeps running');
  });

  let emulator: Emulator | undefined;
  let upstream;
  if (config.upstream.endpoint) {
    upstream = {
      endpoint: config.upstream.endpoint,
      projectId: config.upstream.projectId!,
      ak: config.upstream.ak,
      sk: config.upstream.sk,
      securityToken: config.upstream.securityToken,
      iamToken: config.upstream.iamToken,
    };
  } else {
    // Loaded only when it runs: a gateway with a real upstream carries none of it.
    const { createEmulator } = await import('./emulator/create-emulator.js');
    emulator = await createEmulator({
      host: '127.0.0.1',
      jobDurationMs: config.emulatorJobDurationMs,
      maxPhotoBytes: Math.max(config.maxUploadBytes, 10 * 1024 * 1024),
      rateLimits: config.budget.emulatorLimits ?? 'off',
      ...(config.upstream.ak && config.upstream.sk ? { ak: config.upstream.ak, sk: config.upstream.sk } : {}),
      ...(config.upstream.projectId ? { projectId: config.upstream.projectId } : {}),
      ...(config.upstream.iamToken ? { iamToken: config.upstream.iamToken } : {}),
    });
    upstream = {
      endpoint: emulator.url,
      projectId: emulator.config.projectId,
      ak: emulator.config.ak,
      sk: emulator.config.sk,
      securityToken: config.upstream.securityToken,
      iamToken: config.upstream.ak ? undefined : config.upstream.iamToken,
    };
  }

  let server: RunningServer | undefined;
  const gateway = await createGateway(config, { upstream, logger: log, publicUrl: () => server?.url ?? `http://${config.host}:${config.port}` });
  server = await startServer(gateway, { port: config.port, host: config.host });

  const lines = [
    `MetaStudio GraphQL gateway listening on ${server.url}`,
    `  GraphQL (HTTP, multipart, SSE): ${server.url}/graphql`,
    `  GraphQL over WebSocket:         ${server.url.replace(/^http/, 'ws')}/graphql`,
    `  Health / readiness / metrics:   ${server.url}/health  ${server.url}/ready  ${server.url}/metrics`,
    ...(config.graphiql ? [`  Demo page / GraphiQL:           ${server.url}/  ${server.url}/graphql (in a browser)`] : []),
    `  notify_url base:                ${gateway.services.publicUrl()}`,
    emulator
      ? `  Upstream: embedded MetaStudio emulator at ${emulator.url} (jobs take ${config.emulatorJobDurationMs} ms)`
      : `  Upstream: ${upstream.endpoint}`,
    `  Store: ${config.redis ? describeRedis(config.redis) : `SQLite at ${config.databasePath}`}`,
    `  Identity: ${config.auth.enabled ? 'required (JWT or API key)' : 'off: every caller is anonymous'}${config.tracing ? '; traces exported over OTLP' : ''}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    await server?.close(config.shutdownGraceMs);
    await gateway.close();
    await emulator?.close();
    await tracing?.shutdown();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`Gateway failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
