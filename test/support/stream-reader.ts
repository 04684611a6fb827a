/**
 * The one reader of streamed GraphQL answers over HTTP (SSE, multipart). It sends the request,
 * keeps a JSON answer when the server did not stream (an error before any event), and hands
 * each complete frame of the body to the transport, which only says where frames end and
 * what one holds.
 */

export interface Framing {
  /** What the Content-Type of a streamed answer starts with. */
  mediaType: string;
  /** Cuts the complete frames off the front of what has arrived; `rest` waits for more bytes. */
  cut(buffer: string): { frames: string[]; rest: string };
  onFrame(frame: string): void;
}

export interface StreamedAnswer {
  status: number;
  contentType: string | null;
  /** Set when the answer was not a stream (e.g. a JSON error). */
  json?: any;
  /** True once the body has ended (closed, aborted or failed), or at once for a JSON answer. */
  bodyEnded: () => boolean;
  /** Resolves when the body ends. */
  ended: Promise<void>;
}

export interface StreamRequest {
  body: Record<string, unknown>;
  accept: string;
  signal: AbortSignal;
  headers?: Record<string, string>;
}

export async function postForStream(baseUrl: string, request: StreamRequest, framing: Framing): Promise<StreamedAnswer> {
  const res = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: request.accept, ...request.headers },
    body: JSON.stringify(request.body),
    signal: request.signal,
  });
  const contentType = res.headers.get('content-type');
  let over = false;
  const answer: StreamedAnswer = { status: res.status, contentType, bodyEnded: () => over, ended: Promise.resolve() };
  if (!contentType?.startsWith(framing.mediaType)) {
    answer.json = await res.json();
    over = true;
    return answer;
  }
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  answer.ended = (async () => {
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      const { frames, rest } = framing.cut(buffer + decoder.decode(value, { stream: true }));
      buffer = rest;
      for (const frame of frames) framing.onFrame(frame);
    }
  })()
    // An aborted or cut body is an end like any other: tests look at what arrived.
    .catch(() => {})
    .finally(() => {
      over = true;
    });
  return answer;
}

/** Server-sent events: frames end with a blank line; `next` carries a result, `complete` ends the operation. */
export interface SseEvent {
  event: string | undefined;
  id: string | undefined;
  data: any;
}

export async function postForSse(baseUrl: string, request: Omit<StreamRequest, 'accept'>, onEvent: (event: SseEvent) => void): Promise<StreamedAnswer> {
  return postForStream(
    baseUrl,
    { ...request, accept: 'text/event-stream' },
    {
      mediaType: 'text/event-stream',
      cut(buffer) {
        const frames = buffer.split('\n\n');
        return { rest: frames.pop()!, frames };
      },
      onFrame(block) {
        const field = (name: string) => new RegExp(`^${name}: (.*)$`, 'm').exec(block)?.[1];
        const data = field('data');
        onEvent({ event: field('event'), id: field('id'), data: data ? JSON.parse(data) : undefined });
      },
    },
  );
}
