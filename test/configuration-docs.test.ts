import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DECLARED_VARIABLES } from '../src/config.js';

// Backticked upper-case words of the docs that are not our variables: Redis commands, and a
// standard OTEL_* variable the OpenTelemetry SDK reads itself.
const NOT_OURS = new Set(['READONLY', 'WAIT', 'OTEL_SERVICE_NAME']);

function documentedVariables(): Set<string> {
  const doc = readFileSync(new URL('../docs/configuration.md', import.meta.url), 'utf8');
  // `NAME` or `NAME=value`, as the tables and the prose write them.
  return new Set([...doc.matchAll(/`([A-Z][A-Z0-9_]{2,})(?:=[^`]*)?`/g)].map((match) => match[1]!).filter((name) => !NOT_OURS.has(name)));
}

describe('docs/configuration.md', () => {
  it('documents every declared variable', () => {
    const documented = documentedVariables();
    expect(DECLARED_VARIABLES.filter((name) => !documented.has(name))).toEqual([]);
  });

  it('documents no variable that no section declares', () => {
    expect([...documentedVariables()].filter((name) => !DECLARED_VARIABLES.includes(name))).toEqual([]);
  });
});
