// The part of `@opentelemetry/api` the kit uses, declared structurally: the kit's published types then name no
// module an application may not have installed (an optional peer), and the API's module itself fits them.

/** Attributes of a measurement, a span or a link. */
export type OtelAttributes = Record<string, string | number | boolean | undefined>;

/** The part of OpenTelemetry's `Counter` the kit uses: a sum that only grows. */
export interface OtelCounter {
  /** Adds `value` (at least 0) to the sum of the measurements with these attributes. */
  add(value: number, attributes?: OtelAttributes): void;
}

/** The part of OpenTelemetry's `Histogram` the kit uses: a distribution of measurements, such as durations. */
export interface OtelHistogram {
  /** Records one measurement, in the instrument's unit (the kit's durations are in seconds). */
  record(value: number, attributes?: OtelAttributes): void;
}

/** What the kit says of each instrument it creates. */
export interface OtelInstrumentOptions {
  /** What the instrument measures, for people. */
  description?: string;
  /** The unit, in UCUM as OpenTelemetry's conventions use it: `s`, or `{delivery}` for a count of things. */
  unit?: string;
}

/** The part of OpenTelemetry's `Meter` the kit uses: the kit creates its instruments with it, under its scope. */
export interface OtelMeter {
  /** A counter named `name` (such as `graph_invite.deliveries`). */
  createCounter(name: string, options?: OtelInstrumentOptions): OtelCounter;
  /** A histogram named `name` (such as `graph_invite.invite.duration`). */
  createHistogram(name: string, options?: OtelInstrumentOptions): OtelHistogram;
}

/** Which trace and span a span is, as W3C trace context carries it. */
export interface OtelSpanContext {
  /** The trace's id: 32 lower-case hex digits. */
  traceId: string;
  /** The span's id: 16 lower-case hex digits. */
  spanId: string;
  /** The W3C trace flags; bit 0 set means the span is sampled. */
  traceFlags: number;
  /** True when the context came from another process (such as an invite's `traceparent` kept in the store). */
  isRemote?: boolean;
}

/** A span the kit started. */
export interface OtelSpan {
  /** Sets one attribute, such as `http.response.status_code`. */
  setAttribute(key: string, value: string | number | boolean): unknown;
  /** Marks the span's outcome: the kit sets only `ERROR`, with the error's message. */
  setStatus(status: { code: number; message?: string }): unknown;
  /** Links the span to another, such as a delivery's span to the span of the invite it concerns. */
  addLink(link: { context: OtelSpanContext; attributes?: OtelAttributes }): unknown;
  /** Which trace and span this is: what the kit keeps as the invite's `traceparent`. */
  spanContext(): OtelSpanContext;
  /** Ends the span, at the current time. */
  end(): void;
}

/** The part of OpenTelemetry's `Tracer` the kit uses. */
export interface OtelTracer {
  /** Starts a span named `name`, not made the active one: the kit ends it itself. */
  startSpan(name: string, options?: { kind?: number; attributes?: OtelAttributes }): OtelSpan;
}

/** The `@opentelemetry/api` module, as `import * as api from "@opentelemetry/api"` gives it. */
export interface OpenTelemetryApi {
  /** The global meter provider's access point: the kit's meter is `metrics.getMeter(instrumentationScope)`. */
  readonly metrics: { getMeter(name: string): OtelMeter };
  /** The global tracer provider's access point: the kit's tracer is `trace.getTracer(instrumentationScope)`. */
  readonly trace: { getTracer(name: string): OtelTracer };
  /** The span kinds the kit starts: `CLIENT` for an invite's `POST`, `CONSUMER` for processing a delivery. */
  readonly SpanKind: { readonly CLIENT: number; readonly CONSUMER: number };
  /** The status the kit gives a span that failed. */
  readonly SpanStatusCode: { readonly ERROR: number };
  /** Whether a span context has valid ids: an invite's span context is kept as its `traceparent` only if so. */
  isSpanContextValid(context: OtelSpanContext): boolean;
}
