/** The Redis settings: one of three forms, defaults for WAIT, and refusals naming the variables. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

describe('Redis settings', () => {
  it('REDIS_SENTINELS and REDIS_CLUSTER_NODES parse host:port lists; WAIT for one replica by default there, none for REDIS_URL', () => {
    expect(loadConfig({ REDIS_SENTINELS: '10.0.0.5:26379, [::1]:26380' }).redis).toEqual({
      mode: 'sentinel',
      sentinels: [
        { host: '10.0.0.5', port: 26379 },
        { host: '::1', port: 26380 },
      ],
      name: 'mymaster',
      password: undefined,
      tls: false,
      waitReplicas: 1,
    });
    expect(loadConfig({ REDIS_CLUSTER_NODES: 'n1:7000,n2:7001', REDIS_PASSWORD: 'pw', REDIS_TLS: 'true', REDIS_WAIT_REPLICAS: '0' }).redis).toMatchObject({
      mode: 'cluster',
      nodes: [
        { host: 'n1', port: 7000 },
        { host: 'n2', port: 7001 },
      ],
      password: 'pw',
      tls: true,
      waitReplicas: 0,
    });
    expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }).redis).toMatchObject({ mode: 'url', waitReplicas: 0 });
    expect(loadConfig({}).redis).toBeUndefined();
  });

  it('more than one form is refused with one line naming them; a bad list or count names its variable; the password is never echoed', () => {
    expect(() => loadConfig({ REDIS_URL: 'redis://h:1', REDIS_SENTINELS: 'h:2' })).toThrow(new ConfigError('REDIS_SENTINELS: set only one of REDIS_URL, REDIS_SENTINELS and REDIS_CLUSTER_NODES (got REDIS_URL and REDIS_SENTINELS)'));
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: 'n1:7000,n1' })).toThrow(/^REDIS_CLUSTER_NODES: must be host:port pairs/);
    expect(() => loadConfig({ REDIS_SENTINELS: 'h:70000' })).toThrow(/^REDIS_SENTINELS: /);
    expect(() => loadConfig({ REDIS_WAIT_REPLICAS: '-1' })).toThrow(/^REDIS_WAIT_REPLICAS: /);
    expect(() => loadConfig({ REDIS_PASSWORD: '' })).toThrow(ConfigError);
    try {
      loadConfig({ REDIS_PASSWORD: '' });
    } catch (error) {
      expect((error as Error).message).not.toContain('got');
    }
  });
});
