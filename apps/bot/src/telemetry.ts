// The kit's OpenTelemetry metrics and spans, printed by the SDK's console exporters: to see what a production
// deployment would send to its collector, without one.
import * as api from "@opentelemetry/api";
import { ConsoleMetricExporter, MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, ConsoleSpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";

/** Console exporting, on until `shutdown`, which prints the last metrics. */
export interface ConsoleTelemetry {
  /** The API module, for the kit's `openTelemetry` option. */
  readonly api: typeof api;
  shutdown(): Promise<void>;
}

/** How often metrics are printed. */
const exportIntervalMs = 10_000;

/** Registers an SDK that prints the metrics every 10 s and each span as it ends. */
export function startConsoleTelemetry(): ConsoleTelemetry {
  const meters = new MeterProvider({
    readers: [
      new PeriodicExportingMetricReader({
        exporter: new ConsoleMetricExporter(),
        exportIntervalMillis: exportIntervalMs,
      }),
    ],
  });
  const tracers = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(new ConsoleSpanExporter())] });
  api.metrics.setGlobalMeterProvider(meters);
  api.trace.setGlobalTracerProvider(tracers);
  return {
    api,
    async shutdown() {
      await Promise.all([meters.shutdown(), tracers.shutdown()]);
      api.metrics.disable();
      api.trace.disable();
    },
  };
}
