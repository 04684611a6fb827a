/**
 * `npm run check:schema`: compares schema.graphql with schema.released.graphql (the schema
 * of the last release) and fails on a breaking change, unless the latest commit message
 * says `BREAKING CHANGE:` on purpose. On release, copy schema.graphql over
 * schema.released.graphql and add the CHANGELOG entry.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { buildSchema, findBreakingChanges, type BreakingChange } from 'graphql';

export function breakingChanges(releasedSdl: string, currentSdl: string): BreakingChange[] {
  return findBreakingChanges(buildSchema(releasedSdl), buildSchema(currentSdl));
}

if (process.argv[1]?.endsWith('schema-compat.ts')) {
  const changes = breakingChanges(readFileSync('schema.released.graphql', 'utf8'), readFileSync('schema.graphql', 'utf8'));
  if (changes.length === 0) {
    process.stdout.write('schema.graphql: no breaking change since schema.released.graphql\n');
  } else {
    let message = '';
    try {
      message = execFileSync('git', ['log', '-1', '--format=%B'], { encoding: 'utf8' });
    } catch {
      // not a git checkout: no commit can say so
    }
    const list = changes.map((c) => `  ${c.type}: ${c.description}`).join('\n');
    if (/^BREAKING CHANGE:/m.test(message)) {
      process.stdout.write(`schema.graphql has breaking changes, declared by the commit:\n${list}\n`);
    } else {
      process.stderr.write(`schema.graphql breaks clients of the released schema (say "BREAKING CHANGE: ..." in the commit to allow it):\n${list}\n`);
      process.exit(1);
    }
  }
}
