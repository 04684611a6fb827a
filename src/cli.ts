/**
 * The gateway's command line: `--help` prints the settings, `--version` the version, and
 * neither starts anything. The settings are read from docs/configuration.md, the one
 * reference an operator also reads, so the two cannot drift apart.
 */
import { readFileSync } from 'node:fs';

export type Command = { kind: 'run' } | { kind: 'help' } | { kind: 'version' } | { kind: 'unknown'; argument: string };

export function parseArguments(args: readonly string[]): Command {
  for (const argument of args) {
    if (argument === '--help' || argument === '-h') return { kind: 'help' };
    if (argument === '--version' || argument === '-v') return { kind: 'version' };
    return { kind: 'unknown', argument };
  }
  return { kind: 'run' };
}

// Beside src/ and dist/ alike.
const CONFIGURATION_DOC = new URL('../docs/configuration.md', import.meta.url);
const PACKAGE_JSON = new URL('../package.json', import.meta.url);

export function versionText(): string {
  const pkg = JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { name: string; version: string };
  return `${pkg.name} ${pkg.version} (Node.js ${process.version})\n`;
}

/** Markdown to terminal text: backticks and emphasis dropped. */
const plain = (cell: string) => cell.replace(/`/g, '').replace(/\*\*/g, '').trim();

/** The settings tables of docs/configuration.md, as terminal text: one line per setting. */
export function helpText(doc = readFileSync(CONFIGURATION_DOC, 'utf8')): string {
  const out = [
    'Usage: npm start [-- --help | --version]',
    '',
    'MetaStudio GraphQL gateway. With no settings it starts with an embedded MetaStudio',
    'emulator. Every setting is an environment variable (docs/configuration.md):',
  ];
  for (const line of doc.split('\n')) {
    if (line.startsWith('## ')) out.push('', `${plain(line.slice(3))}:`);
    const row = /^\|\s*(`[^|]*)\|([^|]*)\|([^|]*)\|\s*$/.exec(line);
    if (row) out.push(`  ${plain(row[1]!)}`, `      ${plain(row[2]!)} (default: ${plain(row[3]!)})`);
  }
  out.push('', 'Options:', '  -h, --help     print this and exit', '  -v, --version  print the version and exit', '');
  return out.join('\n');
}
