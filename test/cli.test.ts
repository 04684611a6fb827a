/**
 * The command line (contract, "Processes and set-up"): `--help` prints the settings and
 * `--version` the version, neither starts the server; configuration errors are all
 * reported at once, each naming its variable.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { helpText, parseArguments } from '../src/cli.js';
import { ConfigError, loadConfig } from '../src/config.js';

/** Runs src/main.ts to its exit; a process that started the server would never exit. */
function runMain(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
    env: { PATH: process.env['PATH'] ?? '', PORT: '0', DATABASE_PATH: ':memory:', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += String(c)));
  child.stderr.on('data', (c: Buffer) => (stderr += String(c)));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

const documented = [...readFileSync('docs/configuration.md', 'utf8').matchAll(/^\| `([A-Z0-9_]+)`/gm)].map((m) => m[1]!);

describe('the command line', () => {
  it('--help prints every documented setting with its default and exits 0 without starting', async () => {
    const { code, stdout, stderr } = await runMain(['--help']);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).not.toContain('listening on');
    expect(documented.length).toBeGreaterThan(30);
    for (const name of documented) expect(stdout).toContain(name);
    expect(stdout).toMatch(/PORT \/ HOST\n\s+where the gateway listens \(default: 4000 \/ 127\.0\.0\.1\)/);
  });

  it('--version prints the package version and exits 0 without starting', async () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    const { code, stdout } = await runMain(['--version']);
    expect(code).toBe(0);
    expect(stdout).toBe(`metastudio-graphql-gateway ${version} (Node.js ${process.version})\n`);
  });

  it('an unknown argument exits 2 with one line pointing at --help', async () => {
    const { code, stdout, stderr } = await runMain(['--port=5000']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe('Unknown argument "--port=5000": settings are environment variables (see --help)\n');
  });

  it('reports every configuration error at once, one line each naming its variable, and exits 1', async () => {
    const { code, stdout, stderr } = await runMain([], { PORT: 'eighty', MAX_UPLOAD_BYTES: '0', CALLBACK_SECRET: 'too-short', CLOUD_SDK_AK: 'only-ak' });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    const lines = stderr.trimEnd().split('\n');
    expect(lines.map((l) => /^Invalid configuration: ([A-Z_]+):/.exec(l)?.[1]).sort()).toEqual(['CALLBACK_SECRET', 'CLOUD_SDK_SK', 'MAX_UPLOAD_BYTES', 'PORT']);
    expect(stderr).not.toContain('too-short');
  });

  it('parses only the two options', () => {
    expect(parseArguments([])).toEqual({ kind: 'run' });
    expect(parseArguments(['-h'])).toEqual({ kind: 'help' });
    expect(parseArguments(['-v'])).toEqual({ kind: 'version' });
    expect(parseArguments(['start'])).toEqual({ kind: 'unknown', argument: 'start' });
  });

  it('turns a settings table into one entry per row', () => {
    const text = helpText('## Core\n\n| variable | meaning | default |\n|---|---|---|\n| `A_B` | does **a** | `1` |\n');
    expect(text).toContain('Core:\n  A_B\n      does a (default: 1)');
  });
});

describe('configuration errors', () => {
  it('lists a bad value and a rule across variables together', () => {
    try {
      loadConfig({ POLL_INTERVAL_MS: 'soon', METASTUDIO_REGION: 'cn-north-4', METASTUDIO_PROJECT_ID: 'p', CLOUD_SDK_AK: 'ak', CLOUD_SDK_SK: 'sk' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems.map((p) => p.split(':')[0])).toEqual(['POLL_INTERVAL_MS', 'AUTH_JWT_JWKS_URL']);
      expect((error as ConfigError).message).toBe((error as ConfigError).problems.join('\n'));
    }
  });
});
