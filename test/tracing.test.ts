/**
 * OpenTelemetry traces with an in-memory exporter: the span tree of one create (continuing
 * the client's traceparent, carried upstream) and of one callback-to-subscriber delivery.
 */
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerTracing } from '../src/observability/tracing.js';
import { startHarness, waitFor, type Harness } from './support/harness.js';
import { makePng } from './support/images.js';
import { uploadPhoto } from './support/multipart.js';
import { openSubscriptions, subscribe, untilSubscriptions, wsClient } from './support/subscriptions.js';

const exporter = new InMemorySpanExporter();
const tracing = registerTracing([new SimpleSpanProcessor(exporter)]);
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ emulator: { jobDurationMs: 3_600_000 } });
});
afterAll(async () => {
  await h.close();
  await tracing.shutdown();
});

const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
const named = (spans: ReadableSpan[], name: string) => spans.find((s) => s.name === name);

describe('traces', () => {
  it('one create: request -> operation -> upstream call, continuing the client\'s traceparent', async () => {
    exporter.reset();
    const traceId = 'a'.repeat(32);
    const clientSpan = 'b'.repeat(16);
    const name = `traced-secret-name-${Date.now()}`;
    const { body } = await uploadPhoto(h.url, { file: makePng(16, 16), input: { name }, headers: { traceparent: `00-${traceId}-${clientSpan}-01` } });
    expect(body.data.createPictureModelingJob.__typename).toBe('PictureModelingJobCreated');
    await waitFor(() => exporter.getFinishedSpans().some((s) => s.name === 'POST /graphql'));
    const spans = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
    const request = named(spans, 'POST /graphql')!;
    const operation = named(spans, 'graphql.mutation Create')!;
    const upstream = named(spans, 'MetaStudio CreatePictureModelingJob')!;
    expect(parentOf(request)).toBe(clientSpan);
    expect(parentOf(operation)).toBe(request.spanContext().spanId);
    expect(parentOf(upstream)).toBe(operation.spanContext().spanId);
    expect(operation.attributes).toMatchObject({ 'graphql.operation.type': 'mutation', 'graphql.operation.name': 'Create' });
    expect(upstream.attributes).toMatchObject({ 'http.response.status_code': 200, 'metastudio.request_id': body.data.createPictureModelingJob.requestId });
    expect(request.attributes['http.response.status_code']).toBe(200);
    // No variable value is ever recorded.
    expect(JSON.stringify(spans.map((s) => s.attributes))).not.toContain(name);
    // The trace goes upstream, and the create's log line carries its id.
    const call = h.emulator.calls.find((c) => c.operation === 'CreatePictureModelingJob' && (c.body as { name?: string }).name === name)!;
    expect(call.traceparent).toMatch(new RegExp(`^00-${traceId}-${upstream.spanContext().spanId}-01$`));
    const logLine = h.logs.map((l) => JSON.parse(l)).find((l) => l.msg === 'picture-modeling job created' && l.jobId === body.data.createPictureModelingJob.jobId);
    expect(logLine.traceId).toBe(traceId);
  });

  it('one callback: request -> callback -> upstream re-read -> delivery to the subscriber', async () => {
    const { body } = await uploadPhoto(h.url, { file: makePng(16, 16) });
    const jobId = body.data.createPictureModelingJob.jobId;
    const client = wsClient(h.wsUrl);
    const open = await openSubscriptions(h.url);
    const sub = subscribe(client, { jobId });
    await untilSubscriptions(h.url, open + 1);
    exporter.reset();
    h.emulator.world.complete(jobId);
    await sub.done;
    await waitFor(() => exporter.getFinishedSpans().some((s) => s.name === 'POST /callbacks/picture-modeling/{token}'));
    await waitFor(() => exporter.getFinishedSpans().some((s) => s.name === 'pictureModelingJobCompleted delivery'));
    const spans = exporter.getFinishedSpans();
    const request = named(spans, 'POST /callbacks/picture-modeling/{token}')!;
    const callback = named(spans, 'callback picture-modeling')!;
    const show = spans.find((s) => s.name === 'MetaStudio ShowPictureModelingJob' && s.spanContext().traceId === request.spanContext().traceId)!;
    const delivery = named(spans, 'pictureModelingJobCompleted delivery')!;
    expect(parentOf(callback)).toBe(request.spanContext().spanId);
    expect(callback.attributes['metastudio.callback.result']).toBe('accepted');
    expect(parentOf(show)).toBe(callback.spanContext().spanId);
    expect(delivery.spanContext().traceId).toBe(request.spanContext().traceId);
    // Read, stored, then published: the delivery follows the re-read under the same callback.
    expect(parentOf(delivery)).toBe(callback.spanContext().spanId);
    // Span clocks differ below a millisecond, so order is read from the exporter, which gets each span as it ends.
    expect(spans.indexOf(delivery)).toBeGreaterThan(spans.indexOf(show));
    expect(delivery.attributes).toMatchObject({ 'metastudio.job.id': jobId, 'metastudio.job.state': 'SUCCEED' });
    // The notify_url token is a credential: it appears in no span.
    // The emulator records its callback once the gateway's answer reaches it, which can be after the spans end.
    const sent = await waitFor(() => h.emulator.world.callbacks.find((c) => c.jobId === jobId));
    const token = sent.url.split('/').pop()!;
    expect(JSON.stringify(spans.map((s) => [s.name, s.attributes]))).not.toContain(token);
    await client.dispose();
  });
});

describe('export over OTLP/HTTP', () => {
  it('a gateway started with OTEL_EXPORTER_OTLP_ENDPOINT sends its spans there', async () => {
    const { createServer } = await import('node:http');
    const { freePort, gatewayEnv, spawnListening, stopProcess } = await import('./support/process.js');
    const { tempDir } = await import('./support/harness.js');
    const received: string[] = [];
    const collector = createServer((req, res) => {
      received.push(`${req.method} ${req.url} ${req.headers['content-type']}`);
      req.resume();
      req.on('end', () => res.end());
    });
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
    const endpoint = `http://127.0.0.1:${(collector.address() as { port: number }).port}`;
    const port = await freePort();
    const child = await spawnListening(gatewayEnv(h.emulator, port, tempDir(), { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_BSP_SCHEDULE_DELAY: '100' }));
    try {
      await fetch(`http://127.0.0.1:${port}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
      await waitFor(() => received.length > 0, 10_000);
      expect(received[0]).toMatch(/^POST \/v1\/traces application\/(json|x-protobuf)/);
    } finally {
      await stopProcess(child);
      await new Promise<void>((r) => collector.close(() => r()));
    }
  });
});
