/**
 * OpenTelemetry traces, off unless configured: one span per HTTP request (continuing the
 * caller's W3C `traceparent`), per GraphQL operation (type and name, never variable
 * values), per upstream call (operation, status, upstream request id; `traceparent` sent
 * upstream) and per callback, with a delivery span for each completion handed to
 * subscribers. With no provider registered every call here is a cheap no-op.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, INVALID_SPAN_CONTEXT, propagation, SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace-node';
import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';

const TRACER = 'metastudio-gateway';
let enabled = false;

export const tracer = () => trace.getTracer(TRACER);

/** Registers a global tracer provider feeding these processors (tests pass an in-memory one). */
export function registerTracing(spanProcessors: SpanProcessor[]): { shutdown(): Promise<void> } {
  const provider = new NodeTracerProvider({ resource: resourceFromAttributes({ 'service.name': TRACER }), spanProcessors });
  provider.register();
  enabled = true;
  return { shutdown: () => provider.shutdown() };
}

/** The OTLP/HTTP exporter, configured by the standard OTEL_EXPORTER_OTLP_* variables. */
export function startOtlpTracing(): { shutdown(): Promise<void> } {
  return registerTracing([new BatchSpanProcessor(new OTLPTraceExporter())]);
}

/** Runs the handling of one HTTP request inside its span. */
export function traceRequest(req: IncomingMessage, res: ServerResponse, handle: () => void): void {
  if (!enabled) return handle();
  const parent = propagation.extract(context.active(), req.headers);
  const path = (req.url ?? '/').split('?')[0]!;
  // The notify_url token is a credential: it never goes into a span.
  const route = path.replace(/(\/callbacks\/picture-modeling\/).*/, '$1{token}');
  const span = tracer().startSpan(`${req.method} ${route}`, { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method ?? '', 'url.path': route } }, parent);
  res.once('close', () => {
    span.setAttribute('http.response.status_code', res.statusCode);
    if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });
  context.with(trace.setSpan(parent, span), handle);
}

/** Runs `work` inside a new span, ending it when the work settles. */
export async function inSpan<T>(name: string, attributes: Attributes, work: (span: Span) => Promise<T>, kind: SpanKind = SpanKind.INTERNAL): Promise<T> {
  if (!enabled) return work(trace.wrapSpanContext(INVALID_SPAN_CONTEXT));
  return tracer().startActiveSpan(name, { kind, attributes }, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as { code?: string }).code ?? (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** A momentary span under the active one (e.g. a completion handed to a subscriber). */
export function markSpan(name: string, attributes: Attributes): void {
  if (enabled) tracer().startSpan(name, { attributes }).end();
}

/** Adds the active trace context to outgoing headers (W3C traceparent). */
export function injectTraceContext(headers: Record<string, string>): void {
  if (enabled) propagation.inject(context.active(), headers);
}

/** For log lines: the active trace id, if any. */
export function activeTraceId(): string | undefined {
  const span = enabled ? trace.getActiveSpan() : undefined;
  return span?.spanContext().traceId;
}

/** One span per GraphQL operation, the resolvers running inside it. */
export function useOperationTracing(): Plugin {
  const wrap = (args: { document: Parameters<typeof getOperationAST>[0]; operationName?: string | null | undefined }) => {
    const operation = getOperationAST(args.document, args.operationName ?? undefined);
    const type = operation?.operation ?? 'query';
    const name = operation?.name?.value ?? '';
    const span = tracer().startSpan(`graphql.${type}${name ? ` ${name}` : ''}`, { attributes: { 'graphql.operation.type': type, 'graphql.operation.name': name } });
    return { span, ctx: trace.setSpan(context.active(), span) };
  };
  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      if (!enabled) return;
      const { span, ctx } = wrap(args);
      setExecuteFn((a) => context.with(ctx, () => executeFn(a)));
      return {
        onExecuteDone({ result }) {
          if ('errors' in result && result.errors?.length) span.setStatus({ code: SpanStatusCode.ERROR });
          span.end();
        },
      };
    },
    onSubscribe({ args, subscribeFn, setSubscribeFn }) {
      if (!enabled) return;
      const { span, ctx } = wrap(args);
      setSubscribeFn((a) => context.with(ctx, () => subscribeFn(a)));
      return { onSubscribeResult: () => void span.end() };
    },
  };
}
