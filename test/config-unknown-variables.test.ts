import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { editDistance } from '../src/config/unknown-variables.js';

describe('unknown variables', () => {
  it('a misspelt prefixed variable is one warning naming the nearest known one, and does not stop loading', () => {
    const config = loadConfig({ REDIS_SENTINAL_NAME: 'x', MAX_CONECTIONS: '5', PORT: '4001' });
    expect(config.port).toBe(4001);
    expect(config.warnings).toEqual([
      'MAX_CONECTIONS: not a known variable (ignored); did you mean MAX_CONNECTIONS?',
      'REDIS_SENTINAL_NAME: not a known variable (ignored); did you mean REDIS_SENTINEL_NAME?',
    ]);
  });

  it('known variables and variables without our prefixes are not warned of', () => {
    expect(loadConfig({ REDIS_SENTINEL_NAME: 'x', EMULATOR_PORT: '4011', CLOUD_SDK_VERSION: '500.0.0', PATH: '/bin', HOME: '/root', NODE_ENV: 'test' }).warnings).toEqual([]);
  });

  it('edit distance counts insertions, deletions and substitutions', () => {
    expect(editDistance('MAX_CONNECTIONS', 'MAX_CONECTIONS')).toBe(1);
    expect(editDistance('abc', 'abd')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
  });
});

describe('every section reports at once', () => {
  it('a bad budget variable is reported together with the others, one line each', () => {
    let problems: readonly string[] = [];
    try {
      loadConfig({ PORT: 'x', UPSTREAM_QUEUE_MAX: '-1', REDIS_URL: 'redis://a:1', REDIS_SENTINELS: 'b:2' });
    } catch (error) {
      problems = (error as ConfigError).problems;
    }
    expect(problems.map((problem) => problem.split(':')[0])).toEqual(expect.arrayContaining(['PORT', 'UPSTREAM_QUEUE_MAX', 'REDIS_SENTINELS']));
    for (const problem of problems) expect(problem).not.toContain('\n');
  });

  it('a secret named by any section is never echoed in its problem line', () => {
    let problems: readonly string[] = [];
    try {
      loadConfig({ CALLBACK_SECRET: 'tooshort-cb', AUTH_JWT_SECRET: 'tooshort-jwt', PORT: 'not-a-port' });
    } catch (error) {
      problems = (error as ConfigError).problems;
    }
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).not.toMatch(/tooshort/);
    expect(problems.join('\n')).toContain('not-a-port');
  });
});
