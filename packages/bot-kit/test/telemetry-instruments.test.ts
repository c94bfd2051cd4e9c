// The kit's instruments one by one, read back through OpenTelemetry's SDK and its in-memory exporters: each
// metric's name, kind and unit as dashboards find them, the attributes each call records, the invite span's answer,
// traceparents and links, and that a bot without the API (or before it loads) records nothing and never throws.
import type { InviteResult } from "@graph-invite/client";
import * as api from "@opentelemetry/api";
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import { describe, expect, test } from "vitest";
import type { OperationRecord } from "../src/bot-store.js";
import { importOptional, Telemetry } from "../src/telemetry.js";
import { count, points, recorded, useSdk } from "./telemetry-sdk.js";

const { spanExporter } = useSdk();

/** The instrumentation scope, spelt out: dashboards and tests outside the kit find its metrics by this name. */
const scope = "@graph-invite/bot-kit";

const record = (changes: Partial<OperationRecord> = {}) =>
  ({
    clientContext: "ctx-1",
    callId: "call-1",
    status: "completed",
    createdAt: "2026-12-07T10:00:00.000Z",
    ...changes,
  }) as OperationRecord;

const success = (operationId: string | null): InviteResult =>
  ({ ok: true, operation: null, operationId, location: null, requestId: null, clientContext: "ctx-1" }) as InviteResult;

const failure = (error: Record<string, unknown>): InviteResult =>
  ({ ok: false, clientContext: "ctx-1", error: { message: "it failed", ambiguous: false, ...error } }) as InviteResult;

const finished = () => spanExporter.getFinishedSpans();

describe("the metrics, as an SDK sees them", () => {
  test("each has its name, kind and unit and a description, under the kit's scope", async () => {
    const expected = {
      "graph_invite.deliveries": ["{delivery}", "counter"],
      "graph_invite.delivery.answer.duration": ["s", "histogram"],
      "graph_invite.invites": ["{invite}", "counter"],
      "graph_invite.invite.duration": ["s", "histogram"],
      "graph_invite.redis.retries": ["{command}", "counter"],
      "graph_invite.delivery.take_overs": ["{delivery}", "counter"],
    };
    const { exported } = await exportedDescriptors();
    expect([...exported.keys()].sort()).toEqual(Object.keys(expected).sort());
    for (const [name, [unit, kind]] of Object.entries(expected)) {
      const metric = exported.get(name);
      expect(metric?.descriptor.unit, name).toBe(unit);
      // A counter's points are a monotonic sum; a histogram's, a histogram.
      const counter = metric?.dataPointType === DataPointType.SUM && metric.isMonotonic;
      const histogram = metric?.dataPointType === DataPointType.HISTOGRAM;
      expect(kind === "counter" ? counter : histogram, name).toBe(true);
      expect(metric?.descriptor.description.length, name).toBeGreaterThan(20);
    }
  });

  test("a refusal is counted with its reason; an accepted delivery or a refusal without one, with none", async () => {
    const telemetry = new Telemetry(api);
    const reasonOf = async (outcome: string) =>
      (await points("graph_invite.deliveries"))
        .filter((point) => point.attributes["graph_invite.delivery.outcome"] === outcome)
        .map((point) => point.attributes["graph_invite.refusal.reason"]);
    telemetry.delivery("refused", 401, "signature");
    expect(await reasonOf("refused")).toContain("signature");
    telemetry.delivery("accepted", 202, "ignored");
    telemetry.delivery("duplicate", 202);
    expect(await reasonOf("accepted")).toEqual([undefined]);
    expect(await count("graph_invite.deliveries", { "http.response.status_code": 401 })).toBeGreaterThan(0);
    telemetry.delivery("refused", 415);
    expect(await reasonOf("refused")).toContain(undefined);
  });

  test("an answer's time is how long it took, in seconds, by status", async () => {
    const telemetry = new Telemetry(api);
    const receive = telemetry.timeAnswers(async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return { status: 418, headers: {}, body: "" } as never;
    });
    const startedAt = performance.now();
    await receive({} as never);
    const tookSeconds = (performance.now() - startedAt) / 1000;
    const [histogram] = await recorded("graph_invite.delivery.answer.duration", { "http.response.status_code": 418 });
    expect(histogram?.count).toBe(1);
    expect(histogram?.sum).toBeGreaterThanOrEqual(0.015);
    expect(histogram?.sum).toBeLessThanOrEqual(tookSeconds);
  });

  test("an invite whose times cannot be read is counted, with no duration", async () => {
    const telemetry = new Telemetry(api);
    const outcome = { "graph_invite.invite.outcome": "rejected" };
    const before = (await recorded("graph_invite.invite.duration", outcome))[0]?.count ?? 0;
    const counted = await count("graph_invite.invites", outcome);
    telemetry.inviteEnded(record({ status: "rejected", createdAt: "not a date" }), "2026-12-07T10:00:01.000Z");
    expect(await count("graph_invite.invites", outcome)).toBe(counted + 1);
    expect((await recorded("graph_invite.invite.duration", outcome))[0]?.count ?? 0).toBe(before);
  });
});

/** The kit's exported metrics, by name. */
async function exportedDescriptors() {
  // A provider of this test's own, so that the descriptors read are those the kit gave when it created the instruments.
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });
  const own = { ...api, metrics: { getMeter: (name: string) => provider.getMeter(name) } } as typeof api;
  const telemetry = new Telemetry(own);
  telemetry.delivery("accepted", 202);
  await telemetry.timeAnswers(async () => ({ status: 202, headers: {}, body: "" }) as never)({} as never);
  telemetry.inviteEnded(record(), "2026-12-07T10:00:01.000Z");
  telemetry.redisRetry();
  telemetry.takenOver();
  await reader.forceFlush();
  const scopes = exporter.getMetrics().flatMap((resource) => resource.scopeMetrics);
  expect(scopes.map((each) => each.scope.name)).toEqual([scope]);
  const exported = new Map(
    scopes.flatMap((each) => each.metrics).map((metric) => [metric.descriptor.name, metric] as const),
  );
  await provider.shutdown();
  return { exported };
}

describe("the invite's span", () => {
  test("is named and attributed as an HTTP client span, under the kit's scope", () => {
    const telemetry = new Telemetry(api);
    telemetry.endInvite(telemetry.startInvite("call-1", "ctx-1"), success("op-1"));
    const [span] = finished();
    expect(span?.name).toBe("POST");
    expect(span?.kind).toBe(api.SpanKind.CLIENT);
    expect(span?.instrumentationScope.name).toBe(scope);
    expect(span?.attributes).toMatchObject({
      "http.request.method": "POST",
      "url.template": "/communications/calls/{call-id}/participants/invite",
      "graph_invite.call.id": "call-1",
      "graph_invite.client_context": "ctx-1",
      "http.response.status_code": 200,
      "graph_invite.operation.id": "op-1",
    });
  });

  test("a Graph error gives its status as the error type; a failure without a status, its kind", () => {
    const telemetry = new Telemetry(api);
    telemetry.endInvite(telemetry.startInvite("call-1", "ctx-1"), failure({ kind: "graph", status: 503 }));
    telemetry.endInvite(telemetry.startInvite("call-1", "ctx-2"), failure({ kind: "network" }));
    const [graph, network] = finished();
    expect(graph?.attributes["error.type"]).toBe("503");
    expect(graph?.attributes["http.response.status_code"]).toBe(503);
    expect(graph?.status).toEqual({ code: api.SpanStatusCode.ERROR, message: "it failed" });
    expect(network?.attributes["error.type"]).toBe("network");
    expect(network?.attributes).not.toHaveProperty("http.response.status_code");
    expect(network?.status.code).toBe(api.SpanStatusCode.ERROR);
  });

  test("no span, as when tracing started without the API, is nothing to end", () => {
    expect(() => new Telemetry(api).endInvite(undefined, failure({ kind: "graph", status: 500 }))).not.toThrow();
    expect(finished()).toEqual([]);
  });

  test("its traceparent carries its ids and whether it was sampled", () => {
    const telemetry = new Telemetry(api);
    const span = telemetry.startInvite("call-1", "ctx-1");
    const context = span?.spanContext();
    expect(telemetry.traceparent(span)).toBe(`00-${context?.traceId}-${context?.spanId}-01`);
    span?.end();
    expect(telemetry.traceparent(undefined)).toBeUndefined();
    expect(telemetry.traceparent(api.trace.wrapSpanContext(api.INVALID_SPAN_CONTEXT))).toBeUndefined();
  });
});

describe("a delivery's span, linked to the invite's", () => {
  const traceId = "0af7651916cd43dd8448eb211c80319c";
  const spanId = "b7ad6b7169203331";

  test("links a traceparent kept with the operation, as remote, naming the clientContext", () => {
    const telemetry = new Telemetry(api);
    const span = telemetry.startProcessing(3);
    telemetry.link(span, record({ traceparent: `00-${traceId}-${spanId}-01` }));
    span?.end();
    const [processing] = finished();
    expect(processing?.name).toBe("process graph_invite.delivery");
    expect(processing?.kind).toBe(api.SpanKind.CONSUMER);
    expect(processing?.attributes).toEqual({
      "messaging.operation.type": "process",
      "messaging.batch.message_count": 3,
    });
    expect(processing?.links).toMatchObject([
      {
        context: { traceId, spanId, traceFlags: 1, isRemote: true },
        attributes: { "graph_invite.client_context": "ctx-1" },
      },
    ]);
  });

  test("links nothing for a traceparent with anything before or after it, or none", () => {
    const telemetry = new Telemetry(api);
    const span = telemetry.startProcessing(1);
    for (const traceparent of [`x00-${traceId}-${spanId}-01`, `00-${traceId}-${spanId}-01x`, undefined]) {
      telemetry.link(span, record(traceparent === undefined ? {} : { traceparent }));
    }
    telemetry.link(undefined, record({ traceparent: `00-${traceId}-${spanId}-01` }));
    span?.end();
    expect(finished()[0]?.links).toEqual([]);
  });
});

describe("without the API", () => {
  test("every instrument is a no-op that never throws, and starts no span", async () => {
    const off = new Telemetry(false);
    off.delivery("accepted", 202);
    off.inviteEnded(record(), "2026-12-07T10:00:01.000Z");
    off.redisRetry();
    off.takenOver();
    expect(off.startInvite("call-1", "ctx-1")).toBeUndefined();
    expect(off.startProcessing(1)).toBeUndefined();
    const answer = { status: 202, headers: {}, body: "" };
    await expect(off.timeAnswers(async () => answer as never)({} as never)).resolves.toBe(answer);
    // A span started elsewhere, handed to a bot without the API: left alone.
    const foreign = api.trace.getTracer("elsewhere").startSpan("foreign");
    off.endInvite(foreign, failure({ kind: "network" }));
    off.endInvite(undefined, failure({ kind: "network" }));
    expect(off.traceparent(foreign)).toBeUndefined();
    foreign.end();
    expect(finished().map((span) => [span.name, span.attributes, span.links])).toEqual([["foreign", {}, []]]);
  });

  test("an optional import of a package that is there gives it; of one that is not, nothing", async () => {
    expect((await importOptional<typeof api>("@opentelemetry/api"))?.SpanKind.CLIENT).toBe(api.SpanKind.CLIENT);
    expect(await importOptional("@graph-invite/no-such-package")).toBeUndefined();
  });
});
