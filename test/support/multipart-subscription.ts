/** A raw reader of Apollo's multipart HTTP subscription protocol, to check the bytes themselves. */
import { postForStream } from './stream-reader.js';

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
  const parts: any[] = [];
  let closed = false;
  const answer = await postForStream(
    baseUrl,
    { body, accept: MULTIPART_ACCEPT, signal, headers },
    {
      mediaType: 'multipart/mixed',
      // Parts are delimited by CRLF--graphql; the body ends with CRLF--graphql--.
      cut(buffer) {
        const frames: string[] = [];
        let idx;
        while ((idx = buffer.indexOf('\r\n--graphql', 1)) >= 0) {
          frames.push(buffer.slice(0, idx));
          buffer = buffer.slice(idx);
        }
        if (buffer.startsWith('\r\n--graphql--')) closed = true;
        return { frames, rest: buffer };
      },
      onFrame(part) {
        const bodyAt = part.indexOf('\r\n\r\n');
        if (bodyAt >= 0) parts.push(JSON.parse(part.slice(bodyAt + 4)));
      },
    },
  );
  return {
    status: answer.status,
    contentType: answer.contentType,
    parts,
    payloads: () => parts.filter((p) => 'payload' in p).map((p) => p.payload),
    closed: () => closed,
    ended: answer.ended,
    json: answer.json,
  };
}
