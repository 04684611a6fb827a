/**
 * Debian's Chromium driven by playwright-core (which never downloads a browser). Installs
 * the `chromium` package when missing and running as root; otherwise fails with one line
 * saying how to install it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';

function ensureChromium(): string {
  if (!existsSync(CHROMIUM) && process.getuid?.() === 0) {
    try {
      execFileSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium'], { stdio: 'ignore', timeout: 600_000 });
    } catch {
      // reported below
    }
  }
  if (!existsSync(CHROMIUM)) throw new Error('chromium is not installed: run `sudo apt-get install -y chromium` (Debian/Ubuntu) and re-run the tests');
  return CHROMIUM;
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: ensureChromium(),
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
