// The part of `@opentelemetry/api` the kit uses, declared structurally: the kit's published types then name no
// module an application may not have installed (an optional peer), and the API's module itself fits them.

/** Attributes of a measurement, a span or a link. */
export type OtelAttributes = Record<string, string | number | boolean | undefined>;

interface OtelCounter {
  add(value: number, attributes?: OtelAttributes): void;
}

interface OtelHistogram {
  record(value: number, attributes?: OtelAttributes): void;
}

interface OtelInstrumentOptions {
  description?: string;
  unit?: string;
}

interface OtelMeter {
  createCounter(name: string, options?: OtelInstrumentOptions): OtelCounter;
  createHistogram(name: string, options?: OtelInstrumentOptions): OtelHistogram;
}

/** Which trace and span a span is, as W3C trace context carries it. */
export interface OtelSpanContext {
  traceId: string;
  spanId: string;
  traceFlags: number;
  isRemote?: boolean;
}

/** A span the kit started. */
export interface OtelSpan {
  setAttribute(key: string, value: string | number | boolean): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  addLink(link: { context: OtelSpanContext; attributes?: OtelAttributes }): unknown;
  spanContext(): OtelSpanContext;
  end(): void;
}

interface OtelTracer {
  startSpan(name: string, options?: { kind?: number; attributes?: OtelAttributes }): OtelSpan;
}

/** The `@opentelemetry/api` module, as `import * as api from "@opentelemetry/api"` gives it. */
export interface OpenTelemetryApi {
  readonly metrics: { getMeter(name: string): OtelMeter };
  readonly trace: { getTracer(name: string): OtelTracer };
  readonly SpanKind: { readonly CLIENT: number; readonly CONSUMER: number };
  readonly SpanStatusCode: { readonly ERROR: number };
  isSpanContextValid(context: OtelSpanContext): boolean;
}
