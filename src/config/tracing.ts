/** Whether traces are exported; the exporter itself reads the standard OTEL_* variables. */
import { bool, type CleanedEnv } from 'envalid';
import { httpUrl, nonEmpty } from './validators.js';

export const tracingSpec = {
  OTEL_EXPORTER_OTLP_ENDPOINT: httpUrl({ default: undefined }),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: httpUrl({ default: undefined }),
  OTEL_TRACES_EXPORTER: nonEmpty({ default: undefined }),
  OTEL_SDK_DISABLED: bool({ default: false }),
};

/** Export traces over OTLP/HTTP. */
export function tracingEnabled(e: CleanedEnv<typeof tracingSpec>): boolean {
  return (
    !e.OTEL_SDK_DISABLED &&
    (e.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined || e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT !== undefined || e.OTEL_TRACES_EXPORTER?.split(',').includes('otlp') === true)
  );
}
