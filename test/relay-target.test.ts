import { describe, expect, it } from 'vitest';
import { checkNotifyUrl, isPrivateAddress, signRelay, verifyRelaySignature } from '../src/jobs/webhooks/relay.js';

describe('relay targets', () => {
  it('knows non-public addresses', () => {
    for (const a of ['127.0.0.1', '10.2.3.4', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fe80::1', 'fd00::1', '::ffff:10.0.0.1']) {
      expect({ a, private: isPrivateAddress(a) }).toEqual({ a, private: true });
    }
    for (const a of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111']) expect(isPrivateAddress(a)).toBe(false);
  });

  it('checks notifyUrl syntax, credentials and literal private hosts', () => {
    expect(checkNotifyUrl('https://hooks.example.com/done', false)).toBeUndefined();
    expect(checkNotifyUrl('ftp://hooks.example.com/', false)).toMatch(/http/);
    expect(checkNotifyUrl('https://user:pw@hooks.example.com/', false)).toMatch(/credentials/);
    for (const url of [
      'http://localhost:8080/x',
      'http://localhost./x',
      'http://127.0.0.1/x',
      'http://[::1]/x',
      'http://[::127.0.0.1]/x',
      'http://[::ffff:127.0.0.1]/x',
      'http://[64:ff9b::7f00:1]/x',
      'http://[2002:7f00:1::]/x',
      'http://[2001:db8::1]/x',
      'http://169.254.169.254/latest',
      'http://100.64.0.1/x',
      'http://198.18.0.1/x',
      'http://224.0.0.1/x',
      'http://255.255.255.255/x',
      'http://0x7f000001/x',
      'http://2130706433/x',
      'http://api.localhost/',
    ]) {
      expect(checkNotifyUrl(url, false)).toMatch(/private/);
      expect(checkNotifyUrl(url, true)).toBeUndefined();
    }
  });

  it('signatures verify only for the same secret, body and a recent timestamp', () => {
    const now = Date.now();
    const t = Math.floor(now / 1000);
    const header = signRelay('secret', t, '{"a":1}');
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifyRelaySignature('secret', header, '{"a":1}', 300, now)).toBe(true);
    expect(verifyRelaySignature('secret', header, '{"a":2}', 300, now)).toBe(false);
    expect(verifyRelaySignature('other', header, '{"a":1}', 300, now)).toBe(false);
    expect(verifyRelaySignature('secret', header, '{"a":1}', 300, now + 301_000)).toBe(false);
    expect(verifyRelaySignature('secret', 'garbage', '{"a":1}', 300, now)).toBe(false);
  });
});
