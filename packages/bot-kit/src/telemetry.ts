// Metrics and traces through OpenTelemetry's API, an optional peer dependency. The API is loaded at run time, by a
// specifier bundlers do not follow: without the package (or in a bundle that left it out) every instrument is a no-op
// and nothing throws. With it, the instruments report to whatever SDK the application registered, and to nothing
// (the API's own no-ops) when it registered none.

import type { InviteResult } from "@graph-invite/client";
import type { OperationRecord } from "./bot-store.js";
import type { OpenTelemetryApi, OtelSpan, OtelTracer } from "./otel-api.js";
import type { Receive } from "./receiver.js";

export type { OpenTelemetryApi } from "./otel-api.js";

/** The instrumentation scope's name: meters and tracers are got under it. */
export const instrumentationScope = "@graph-invite/bot-kit";

/** How a notification request ended at the receiver. */
export type DeliveryOutcome = "accepted" | "duplicate" | "refused";

/** A span the kit started, or nothing when tracing is off. */
export type KitSpan = OtelSpan | undefined;

let loading: Promise<OpenTelemetryApi | undefined> | undefined;

/**
 * Imports `specifier` if it can be resolved, else resolves undefined. The specifier is a variable, so that bundlers
 * leave the import to run time instead of failing on a package that is absent, or bundling one nobody asked for.
 */
export async function importOptional<T>(specifier: string): Promise<T | undefined> {
  try {
    return (await import(/* webpackIgnore: true */ /* @vite-ignore */ specifier)) as T;
  } catch {
    return undefined;
  }
}

/** `@opentelemetry/api`, imported once per process, or undefined when it is not installed. */
export function loadOpenTelemetry(): Promise<OpenTelemetryApi | undefined> {
  const specifier = "@opentelemetry/api";
  loading ??= importOptional<OpenTelemetryApi>(specifier);
  return loading;
}

const seconds = (ms: number) => ms / 1000;

/** The kit's instruments. Each method is a no-op until the API is there, and stays one without it. */
export class Telemetry {
  private api: OpenTelemetryApi | undefined;
  private tracer: OtelTracer | undefined;
  private instruments: ReturnType<typeof createInstruments> | undefined;

  /**
   * @param api the API module to use, `false` for none, or undefined to load `@opentelemetry/api` if it is installed
   *   (instruments are no-ops for the moment that takes).
   */
  constructor(api?: OpenTelemetryApi | false) {
    if (api === false) return;
    if (api !== undefined) this.use(api);
    else void loadOpenTelemetry().then((loaded) => loaded && this.use(loaded));
  }

  /** Resolves once the API has been loaded (or found missing). */
  async ready(): Promise<void> {
    if (this.api === undefined) await loading;
  }

  private use(api: OpenTelemetryApi): void {
    this.api ??= api;
    // Got once, not per span: the look-up through the API's global registry was a tenth of what a delivery's span
    // and metrics cost with the SDK (bench/ingest's profile). Before an SDK registers, the API hands out a proxy
    // tracer that finds the provider registered later, so an early bot still reports.
    this.tracer ??= api.trace.getTracer(instrumentationScope);
    this.instruments ??= createInstruments(api);
  }

  /** A notification request answered: accepted, a duplicate, or refused (with why and the status). */
  delivery(outcome: DeliveryOutcome, status: number, reason?: string): void {
    this.instruments?.deliveries.add(1, {
      "graph_invite.delivery.outcome": outcome,
      "http.response.status_code": status,
      ...(outcome === "refused" && reason !== undefined && { "graph_invite.refusal.reason": reason }),
    });
  }

  /** The receiver, timing each answer (time to 202 for an accepted delivery) when metrics are on. */
  timeAnswers(receive: Receive): Receive {
    return async (request) => {
      if (this.instruments === undefined) return receive(request);
      const startedAt = performance.now();
      const answer = await receive(request);
      this.instruments.answerDuration.record(seconds(performance.now() - startedAt), {
        "http.response.status_code": answer.status,
      });
      return answer;
    };
  }

  /** An invite reached its outcome: counted, and its time from sending to outcome recorded. */
  inviteEnded(record: OperationRecord, endedAt: string): void {
    if (this.instruments === undefined) return;
    const attributes = { "graph_invite.invite.outcome": record.status };
    this.instruments.invites.add(1, attributes);
    const durationMs = Date.parse(endedAt) - Date.parse(record.createdAt);
    if (Number.isFinite(durationMs)) this.instruments.inviteDuration.record(seconds(durationMs), attributes);
  }

  /** A Redis command sent again after its connection failed. */
  redisRetry(): void {
    this.instruments?.redisRetries.add(1);
  }

  /** A delivery taken over from an instance that stopped before processing it. */
  takenOver(): void {
    this.instruments?.takeOvers.add(1);
  }

  /**
   * The client span of an invite's `POST`, named and attributed as OpenTelemetry's HTTP client conventions say. The
   * client's retries of a 429 or 503 are inside it.
   */
  startInvite(callId: string, clientContext: string): KitSpan {
    const { api, tracer } = this;
    if (api === undefined || tracer === undefined) return undefined;
    return tracer.startSpan("POST", {
      kind: api.SpanKind.CLIENT,
      attributes: {
        "http.request.method": "POST",
        "url.template": "/communications/calls/{call-id}/participants/invite",
        "graph_invite.call.id": callId,
        "graph_invite.client_context": clientContext,
      },
    });
  }

  /** Ends the invite's span with Graph's answer. */
  endInvite(span: KitSpan, result: InviteResult): void {
    if (span === undefined || this.api === undefined) return;
    const status = result.ok ? 200 : result.error.kind === "graph" ? result.error.status : undefined;
    if (status !== undefined) span.setAttribute("http.response.status_code", status);
    if (result.ok) {
      if (result.operationId !== null) span.setAttribute("graph_invite.operation.id", result.operationId);
    } else {
      // HTTP conventions: the status code as text for an HTTP error, else what kind of failure it was.
      span.setAttribute("error.type", status !== undefined ? String(status) : result.error.kind);
      span.setStatus({ code: this.api.SpanStatusCode.ERROR, message: result.error.message });
    }
    span.end();
  }

  /** The invite span's context as a W3C `traceparent`, to keep with the operation so that any instance can link to it. */
  traceparent(span: KitSpan): string | undefined {
    const context = span?.spanContext();
    if (context === undefined || this.api?.isSpanContextValid(context) !== true) return undefined;
    return `00-${context.traceId}-${context.spanId}-0${(context.traceFlags & 1).toString(16)}`;
  }

  /** The span of one delivery's processing, from its acceptance until its notifications are applied. */
  startProcessing(notifications: number): KitSpan {
    const { api, tracer } = this;
    if (api === undefined || tracer === undefined) return undefined;
    return tracer.startSpan("process graph_invite.delivery", {
      kind: api.SpanKind.CONSUMER,
      attributes: { "messaging.operation.type": "process", "messaging.batch.message_count": notifications },
    });
  }

  /** Links a delivery's processing span to the span of the invite whose operation one of its notifications is about. */
  link(span: KitSpan, record: OperationRecord): void {
    const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(record.traceparent ?? "");
    if (span === undefined || match === null) return;
    const [, traceId = "", spanId = "", flags = "00"] = match;
    span.addLink({
      context: { traceId, spanId, traceFlags: Number.parseInt(flags, 16), isRemote: true },
      attributes: { "graph_invite.client_context": record.clientContext },
    });
  }
}

function createInstruments(api: OpenTelemetryApi) {
  const meter = api.metrics.getMeter(instrumentationScope);
  // Every duration is in seconds, as OpenTelemetry's semantic conventions ask; counts are in their own unit.
  const count = (name: string, unit: string, description: string) => meter.createCounter(name, { description, unit });
  const duration = (name: string, description: string) => meter.createHistogram(name, { description, unit: "s" });
  return {
    deliveries: count(
      "graph_invite.deliveries",
      "{delivery}",
      "Notification requests answered, by outcome: accepted, duplicate, or refused with its reason.",
    ),
    answerDuration: duration(
      "graph_invite.delivery.answer.duration",
      "Time from a notification request's arrival to the answer (202 for an accepted one).",
    ),
    invites: count(
      "graph_invite.invites",
      "{invite}",
      "Invites that reached an outcome: completed, failed, rejected or timed-out.",
    ),
    inviteDuration: duration("graph_invite.invite.duration", "Time from sending an invite to its outcome."),
    redisRetries: count(
      "graph_invite.redis.retries",
      "{command}",
      "Redis commands sent again because their connection failed under them.",
    ),
    takeOvers: count(
      "graph_invite.delivery.take_overs",
      "{delivery}",
      "Deliveries taken over from an instance that stopped after answering and before processing.",
    ),
  };
}

let shared: Telemetry | undefined;

/** The instruments of code that has no bot to ask (a store): loads the API the first time it is called. */
export function sharedTelemetry(): Telemetry {
  shared ??= new Telemetry();
  return shared;
}
