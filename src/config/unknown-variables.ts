/**
 * A misspelt variable is otherwise silently ignored (its default applies); one that carries one
 * of our prefixes but is declared by no section earns a warning naming the nearest known one.
 */
// Not CLOUD_SDK_: Google's Cloud SDK images set CLOUD_SDK_VERSION, which would warn on every start.
const PREFIXES = [
  'METASTUDIO_', 'REDIS_', 'AUTH_', 'UPSTREAM_', 'EMULATOR_', 'MAX_', 'RATE_LIMIT_', 'CORS_', 'POLL_',
  'CALLBACK_', 'RELAY_', 'JOB_EVENTS_', 'TRUSTED_DOCUMENTS_', 'MULTIPART_', 'SUBSCRIBE_', 'RECONCILE_', 'UPLOAD_',
  'STYLES_', 'SHUTDOWN_', 'CONNECTION_', 'HEADERS_', 'GRAPHQL_',
];

/** One line per unknown variable with one of our prefixes, naming the nearest declared one. */
export function unknownVariableWarnings(env: Record<string, string | undefined>, declared: readonly string[]): string[] {
  const known = new Set(declared);
  return Object.keys(env)
    .filter((name) => env[name] !== undefined && !known.has(name) && PREFIXES.some((prefix) => name.startsWith(prefix)))
    .sort()
    .map((name) => `${name}: not a known variable (ignored); did you mean ${nearest(name, declared)}?`);
}

function nearest(name: string, declared: readonly string[]): string {
  let best = declared[0]!;
  let bestDistance = Infinity;
  for (const candidate of declared) {
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best;
}

/** Levenshtein distance, one row at a time. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
