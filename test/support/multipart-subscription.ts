/** A raw reader of Apollo's multipart HTTP subscription protocol, to check the bytes themselves. */

export const MULTIPART_ACCEPT = 'multipart/mixed;boundary="graphql";subscriptionSpec=1.0,application/json';

export interface MultipartSubscription {
  status: number;
  contentType: string | null;
  /** Every part's JSON, heartbeats (`{}`) included, in order. */
  parts: any[];
  /** The `payload` of each non-heartbeat part. */
  payloads: () => any[];
  /** True once the closing boundary arrived. */
  closed: () => boolean;
  /** Resolves when the body ends (closed, aborted or failed). */
  ended: Promise<void>;
  /** Set when the answer was not multipart (e.g. a JSON error). */
  json?: any;
}

export async function multipartSubscribe(
  baseUrl: string,
  body: { query?: string; documentId?: string; variables?: Record<string, unknown> },
  signal: AbortSignal,
  headers: Record<string, string> = {},
): Promise<MultipartSubscription> {
  const res = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: MULTIPART_ACCEPT, ...headers },
    body: JSON.stringify(body),
    signal,
  });
  const parts: any[] = [];
  let closed = false;
  const contentType = res.headers.get('content-type');
  const result: MultipartSubscription = {
    status: res.status,
    contentType,
    parts,
    payloads: () => parts.filter((p) => 'payload' in p).map((p) => p.payload),
    closed: () => closed,
    ended: Promise.resolve(),
  };
  if (!contentType?.startsWith('multipart/mixed')) {
    result.json = await res.json();
    return result;
  }
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  result.ended = (async () => {
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      // Parts are delimited by CRLF--graphql; the body ends with CRLF--graphql--.
      let idx;
      while ((idx = buffer.indexOf('\r\n--graphql', 1)) >= 0) {
        const part = buffer.slice(0, idx);
        buffer = buffer.slice(idx);
        const bodyAt = part.indexOf('\r\n\r\n');
        if (bodyAt >= 0) parts.push(JSON.parse(part.slice(bodyAt + 4)));
      }
      if (buffer.startsWith('\r\n--graphql--')) closed = true;
    }
  })().catch(() => {});
  return result;
}
