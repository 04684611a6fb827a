import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { breakingChanges } from '../scripts/schema-compat.js';

describe('schema evolution check', () => {
  const released = readFileSync(new URL('../schema.released.graphql', import.meta.url), 'utf8');
  const current = readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8');

  it('the current schema only adds to the released one', () => {
    expect(breakingChanges(released, current)).toEqual([]);
  });

  it('a removed field or a newly required argument is a breaking change', () => {
    const removed = current.replace(/^\s+modelCoverUrl: String\n/m, '');
    expect(breakingChanges(current, removed).map((c) => c.type)).toContain('FIELD_REMOVED');
    const required = current.replace('pictureModelingStyles: StyleListResult!', 'pictureModelingStyles(tag: String!): StyleListResult!');
    expect(breakingChanges(current, required).map((c) => c.type)).toContain('REQUIRED_ARG_ADDED');
  });
});
