// OpenTelemetry's SDK with its in-memory exporters, registered for a test file, and what the kit recorded in it.
import * as api from "@opentelemetry/api";
import {
  AggregationTemporality,
  type DataPoint,
  type Histogram,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, beforeEach } from "vitest";
import { instrumentationScope } from "../src/telemetry.js";

const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
// Exports only when asked: a test reads what was recorded up to that moment.
const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
const spanExporter = new InMemorySpanExporter();

/**
 * Registers OpenTelemetry's SDK, with in-memory exporters, for the tests of the file, and empties the span exporter
 * before each test.
 */
export function useSdk(): { readonly spanExporter: InMemorySpanExporter } {
  beforeAll(() => {
    api.metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
    api.trace.setGlobalTracerProvider(
      new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spanExporter)] }),
    );
  });
  afterAll(() => {
    api.metrics.disable();
    api.trace.disable();
  });
  beforeEach(() => {
    spanExporter.reset();
  });
  return { spanExporter };
}

/** Every data point of a metric of the kit's scope, as recorded so far. */
export async function points(name: string): Promise<Array<DataPoint<number | Histogram>>> {
  metricExporter.reset();
  await reader.forceFlush();
  const metric = metricExporter
    .getMetrics()
    .flatMap((resource) => resource.scopeMetrics)
    .filter((scope) => scope.scope.name === instrumentationScope)
    .flatMap((scope) => scope.metrics)
    .find((each) => each.descriptor.name === name);
  return (metric?.dataPoints ?? []) as Array<DataPoint<number | Histogram>>;
}

/** A counter's value for the data point whose attributes include `attributes`; 0 when there is none. */
export async function count(name: string, attributes: api.Attributes): Promise<number> {
  const matching = (await points(name)).filter((point) =>
    Object.entries(attributes).every(([key, value]) => point.attributes[key] === value),
  );
  return matching.reduce((sum, point) => sum + (point.value as number), 0);
}

/** How many values a histogram recorded for the data points whose attributes include `attributes`. */
export async function recorded(name: string, attributes: api.Attributes = {}): Promise<Histogram[]> {
  return (await points(name))
    .filter((point) => Object.entries(attributes).every(([key, value]) => point.attributes[key] === value))
    .map((point) => point.value as Histogram);
}
