/** Where MetaStudio is and how we sign in to it; unset means the embedded emulator. */
import { makeValidator, type CleanedEnv } from 'envalid';
import { isRegionName, resolveEndpoint } from '../metastudio/endpoints.js';
import { httpUrl, int, nonEmpty } from './validators.js';

const region = makeValidator<string>((raw) => {
  if (!isRegionName(raw)) throw new Error('must be a region name such as cn-north-4 or cn-east-3');
  return raw;
});

export const upstreamSpec = {
  METASTUDIO_ENDPOINT: httpUrl({ default: undefined }),
  METASTUDIO_REGION: region({ default: undefined }),
  METASTUDIO_PROJECT_ID: nonEmpty({ default: undefined }),
  CLOUD_SDK_AK: nonEmpty({ default: undefined }),
  CLOUD_SDK_SK: nonEmpty({ default: undefined }),
  CLOUD_SDK_SECURITY_TOKEN: nonEmpty({ default: undefined }),
  METASTUDIO_IAM_TOKEN: nonEmpty({ default: undefined }),
  UPSTREAM_TIMEOUT_MS: int(1, 3_600_000)({ default: 30000 }),
};

/** Never echoed in a problem line. */
export const upstreamSecrets = ['CLOUD_SDK_SK', 'CLOUD_SDK_SECURITY_TOKEN', 'METASTUDIO_IAM_TOKEN'];

export interface UpstreamConfig {
  /** Where MetaStudio is; undefined means: start the embedded emulator. */
  endpoint: string | undefined;
  projectId: string | undefined;
  ak: string | undefined;
  sk: string | undefined;
  securityToken: string | undefined;
  iamToken: string | undefined;
  timeoutMs: number;
}

/** A real (paid) upstream is configured; the auth section needs to know. */
export function isRemote(e: CleanedEnv<typeof upstreamSpec>): boolean {
  return e.METASTUDIO_ENDPOINT !== undefined || e.METASTUDIO_REGION !== undefined;
}

export function upstreamConfig(e: CleanedEnv<typeof upstreamSpec>, problems: string[]): UpstreamConfig {
  if (isRemote(e)) {
    if (e.METASTUDIO_PROJECT_ID === undefined) problems.push('METASTUDIO_PROJECT_ID: required when METASTUDIO_ENDPOINT or METASTUDIO_REGION is set');
    const hasKeys = e.CLOUD_SDK_AK !== undefined && e.CLOUD_SDK_SK !== undefined;
    if (!hasKeys && e.METASTUDIO_IAM_TOKEN === undefined) {
      const missing = e.CLOUD_SDK_AK === undefined ? 'CLOUD_SDK_AK' : 'CLOUD_SDK_SK';
      problems.push(`${missing}: required (with its pair) when METASTUDIO_ENDPOINT or METASTUDIO_REGION is set, unless METASTUDIO_IAM_TOKEN is given`);
    }
  }
  if ((e.CLOUD_SDK_AK === undefined) !== (e.CLOUD_SDK_SK === undefined)) {
    problems.push(`${e.CLOUD_SDK_AK === undefined ? 'CLOUD_SDK_AK' : 'CLOUD_SDK_SK'}: must be set together with its pair`);
  }
  return {
    endpoint: resolveEndpoint({ endpoint: e.METASTUDIO_ENDPOINT, region: e.METASTUDIO_REGION }),
    projectId: e.METASTUDIO_PROJECT_ID,
    ak: e.CLOUD_SDK_AK,
    sk: e.CLOUD_SDK_SK,
    securityToken: e.CLOUD_SDK_SECURITY_TOKEN,
    iamToken: e.METASTUDIO_IAM_TOKEN,
    timeoutMs: e.UPSTREAM_TIMEOUT_MS,
  };
}
