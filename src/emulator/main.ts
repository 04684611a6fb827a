/** `npm run emulator`: the MetaStudio emulator on its own. */
import { ConfigError, loadEmulatorConfig } from '../config.js';
import { createEmulator } from './create-emulator.js';

try {
  const config = loadEmulatorConfig();
  const emulator = await createEmulator({
    port: config.port,
    host: config.host,
    jobDurationMs: config.jobDurationMs,
    maxPhotoBytes: config.maxPhotoBytes,
    controlApi: config.controlApi,
    rateLimits: config.rateLimits ?? 'off',
    ...(config.ak && config.sk ? { ak: config.ak, sk: config.sk } : {}),
    ...(config.projectId ? { projectId: config.projectId } : {}),
    ...(config.iamToken ? { iamToken: config.iamToken } : {}),
  });
  process.stdout.write(
    `MetaStudio emulator listening on ${emulator.url}\n` +
      `  project id: ${emulator.config.projectId}\n  access key: ${emulator.config.ak}\n` +
      `  (the secret key is the emulator default unless CLOUD_SDK_SK is set)\n`,
  );
  const stop = () => void emulator.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} catch (error) {
  process.stderr.write(`${error instanceof ConfigError ? 'Invalid configuration: ' : ''}${(error as Error).message}\n`);
  process.exit(1);
}
