/** Region -> endpoint, from the SDKs' MetaStudioRegion files (docs/upstream.md, "Regions"). */
export const METASTUDIO_REGIONS: Readonly<Record<string, string>> = {
  'cn-north-4': 'https://metastudio.cn-north-4.myhuaweicloud.com',
  'cn-east-3': 'https://metastudio.cn-east-3.myhuaweicloud.com',
  // Not in any SDK file; the host follows the same pattern (inferred, see docs/upstream.md).
  'ap-southeast-1': 'https://metastudio.ap-southeast-1.myhuaweicloud.com',
};

/** An explicit endpoint wins over the region. */
export function resolveEndpoint(options: { endpoint?: string | undefined; region?: string | undefined }): string | undefined {
  if (options.endpoint) return options.endpoint;
  if (!options.region) return undefined;
  const known = METASTUDIO_REGIONS[options.region];
  if (known) return known;
  // Regions the SDKs do not list yet follow the same host pattern.
  return isRegionName(options.region) ? `https://metastudio.${options.region}.myhuaweicloud.com` : undefined;
}

export function isRegionName(value: string): boolean {
  return /^[a-z]{2}-[a-z]+-\d{1,2}$/.test(value);
}
