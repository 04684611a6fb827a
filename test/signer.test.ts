import { describe, expect, it } from 'vitest';
import {
  authorizationHeader,
  canonicalQueryString,
  canonicalRequest,
  derivedAuthorizationHeader,
  EMPTY_BODY_SHA256,
  formatSdkDate,
  parseSdkDate,
  sha256Hex,
  stringToSign,
  UNSIGNED_PAYLOAD,
} from '../src/metastudio/signer.js';
import { prepareRequest } from '../src/metastudio/requests.js';

const official = { ak: 'AccessKey', sk: 'SecretKey' };
const officialHeaders = { host: 'service.endpoint.myhuaweicloud.com', 'X-Sdk-Date': '20200608T023900Z' };
const postBody = '{"name":"test","id":1}';

// The official cross-SDK vectors (the Python SDK's tests/test_signer.py); see docs/upstream.md, "Signing".
const officialVectors = [
  {
    name: 'GET, empty body',
    method: 'GET',
    payloadHash: EMPTY_BODY_SHA256,
    canonicalHash: 'de94dd1e1ccdb730b403ce35d7e14f7c7b04337f6def1c3a3a2ba936852b133f',
    expected:
      'SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=host;x-sdk-date, Signature=cfb4171acec81de07d50e53d57eb77edd537414d66ddb1d7d780f128e12cd842',
    derived:
      'V11-HMAC-SHA256 Credential=AccessKey/20200608/test-region-1/demo, SignedHeaders=host;x-sdk-date, Signature=f7dfee056692e58dede80fc80cb89bbfabf45552dd7cd8d18a0a13484455b98e',
  },
  {
    name: 'POST, JSON body',
    method: 'POST',
    payloadHash: sha256Hex(postBody),
    canonicalHash: undefined,
    expected:
      'SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=host;x-sdk-date, Signature=436b1ac0a1ae03705934bb70ef2f2e09f7bfed2117d731a38235053199323a1f',
    derived:
      'V11-HMAC-SHA256 Credential=AccessKey/20200608/test-region-1/demo, SignedHeaders=host;x-sdk-date, Signature=8e2d91eaf9656ec5d6fab27812e2d898a35aaaa5e16ee0a0365c38527ccfb3cf',
  },
];

describe('official cross-SDK vectors (7.1)', () => {
  it('hashes the POST body like the SDK', () => {
    expect(sha256Hex(postBody)).toBe('8ed555081b9961769014bc1182c629bb0fe68d7b01c1fc1caab4dc791f377e8c');
  });
  for (const v of officialVectors) {
    const input = { method: v.method, path: '/resources', query: { size: 1 }, headers: officialHeaders, payloadHash: v.payloadHash };
    it(`${v.name}: SDK-HMAC-SHA256`, () => {
      if (v.canonicalHash) expect(sha256Hex(canonicalRequest(input))).toBe(v.canonicalHash);
      expect(authorizationHeader(input, official)).toBe(v.expected);
    });
    it(`${v.name}: V11-HMAC-SHA256 (derived)`, () => {
      expect(derivedAuthorizationHeader(input, official, 'test-region-1', 'demo')).toBe(v.derived);
    });
  }
});

// Vectors produced by running the Node.js SDK core, driven through the same request builder the client uses.
const ms = {
  credentials: { ak: 'HPUAEXAMPLEAK0000001', sk: 'exampleSecretKey0123456789abcdefEXAMPLE' },
  projectId: '0123456789abcdef0123456789abcdef',
  endpoint: new URL('https://metastudio.cn-north-4.myhuaweicloud.com'),
  date: parseSdkDate('20240102T030405Z')!,
};

describe('MetaStudio vectors (7.2)', () => {
  it('(a) multipart create, with X-App-UserId and UNSIGNED-PAYLOAD', () => {
    const req = prepareRequest(ms, {
      method: 'POST',
      path: '/digital-human/stylized/picture-modelings',
      body: { kind: 'multipart' },
      appUserId: 'user-42',
    });
    expect(req.canonical).toBe(
      [
        'POST',
        '/v1/0123456789abcdef0123456789abcdef/digital-human/stylized/picture-modelings/',
        '',
        'host:metastudio.cn-north-4.myhuaweicloud.com',
        'x-app-userid:user-42',
        'x-project-id:0123456789abcdef0123456789abcdef',
        `x-sdk-content-sha256:${UNSIGNED_PAYLOAD}`,
        'x-sdk-date:20240102T030405Z',
        '',
        'host;x-app-userid;x-project-id;x-sdk-content-sha256;x-sdk-date',
        UNSIGNED_PAYLOAD,
      ].join('\n'),
    );
    expect(sha256Hex(req.canonical)).toBe('817e3829981b333a7d1b9a9041f739e70e2bea6f4cb74d3ccfbb40a06e0a822a');
    expect(stringToSign('SDK-HMAC-SHA256', '20240102T030405Z', req.canonical).split('\n')[2]).toBe(
      '817e3829981b333a7d1b9a9041f739e70e2bea6f4cb74d3ccfbb40a06e0a822a',
    );
    expect(req.headers['Authorization']).toBe(
      'SDK-HMAC-SHA256 Access=HPUAEXAMPLEAK0000001, SignedHeaders=host;x-app-userid;x-project-id;x-sdk-content-sha256;x-sdk-date, Signature=b8d90fe932193e41ef1453d312c2f49f9ef30f0917476066ca4ea1ce1e99c474',
    );
    // The request goes out without the canonical trailing slash.
    expect(req.path).toBe('/v1/0123456789abcdef0123456789abcdef/digital-human/stylized/picture-modelings');
  });

  it('(b) show job: content-type signed on GET', () => {
    const req = prepareRequest(ms, {
      method: 'GET',
      path: '/digital-human/stylized/picture-modelings/6eb78b2f-0000-4000-8000-000000000001',
    });
    expect(req.headers['Authorization']).toBe(
      'SDK-HMAC-SHA256 Access=HPUAEXAMPLEAK0000001, SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature=e306230ba5aa8146b458fe4526bc19010389263e086d3b8f1cba02a932817bc8',
    );
  });

  it('(c) list jobs: sorted, RFC 3986-encoded query', () => {
    const req = prepareRequest(ms, {
      method: 'GET',
      path: '/digital-human/stylized/picture-modelings',
      query: { offset: 0, limit: 10, state: 'SUCCEED,FAILED', sort_key: 'create_time', sort_dir: 'desc' },
    });
    expect(req.canonical.split('\n')[2]).toBe('limit=10&offset=0&sort_dir=desc&sort_key=create_time&state=SUCCEED%2CFAILED');
    expect(req.headers['Authorization']).toBe(
      'SDK-HMAC-SHA256 Access=HPUAEXAMPLEAK0000001, SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature=b75f7d1a13d39e70586be4f725b01cb710cb1ad0c08199e586bca843edfbcccf',
    );
    expect(req.path).toBe(
      '/v1/0123456789abcdef0123456789abcdef/digital-human/stylized/picture-modelings?limit=10&offset=0&sort_dir=desc&sort_key=create_time&state=SUCCEED%2CFAILED',
    );
  });

  it('(d) JSON create-by-URL: body hashed exactly as sent', () => {
    const body = { picture_url: 'https://example.com/face.jpg', style_id: 'system_male_001', name: 'm1' };
    const req = prepareRequest(ms, {
      method: 'POST',
      path: '/digital-human/stylized/picture-modelings-by-url',
      body: { kind: 'json', value: body },
    });
    expect(req.body).toBe('{"picture_url":"https://example.com/face.jpg","style_id":"system_male_001","name":"m1"}');
    expect(sha256Hex(req.body as string)).toBe('bc821a4dcad78e5fefca481b47c1b5c59fbfac6ce70726530b61e373696c067e');
    expect(req.headers['Authorization']).toBe(
      'SDK-HMAC-SHA256 Access=HPUAEXAMPLEAK0000001, SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature=6ed176bc9aae6326d8e8ebf665f8de954a79485f7a755dd30d362c24e6ddb786',
    );
  });
});

describe('canonical pieces', () => {
  it('encodes the Python SDK query test case', () => {
    expect(
      canonicalQueryString({ test: '一 (&=?!#%.*)', path: '/tmp/123', multi: [3, 1, 2], limit: 1, enable: true }),
    ).toBe('enable=true&limit=1&multi=1&multi=2&multi=3&path=%2Ftmp%2F123&test=%E4%B8%80%20%28%26%3D%3F%21%23%25.%2A%29');
  });
  it('formats and parses X-Sdk-Date', () => {
    const d = new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678));
    expect(formatSdkDate(d)).toBe('20240102T030405Z');
    expect(parseSdkDate('20240102T030405Z')?.getTime()).toBe(Date.UTC(2024, 0, 2, 3, 4, 5));
    expect(parseSdkDate('2024-01-02')).toBeUndefined();
  });
  it('adds security token and signs it', () => {
    const req = prepareRequest(
      { ...ms, securityToken: 'temp-token' },
      { method: 'GET', path: '/styles' },
    );
    expect(req.headers['X-Security-Token']).toBe('temp-token');
    expect(req.headers['Authorization']).toContain('SignedHeaders=content-type;host;x-project-id;x-sdk-date;x-security-token,');
  });
  it('carries an IAM token instead of a signature in token mode', () => {
    const req = prepareRequest({ ...ms, credentials: undefined, iamToken: 'iam-token' }, { method: 'GET', path: '/styles' });
    expect(req.headers['X-Auth-Token']).toBe('iam-token');
    expect(req.headers['Authorization']).toBeUndefined();
  });
});
