// The kit gets its tracer once, when it finds the API. A bot made before the application registers its SDK (an
// import order nobody should have to think about) must still report its spans once the SDK is there.
import * as api from "@opentelemetry/api";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { afterEach, expect, test } from "vitest";
import { Telemetry } from "../src/telemetry.js";

afterEach(() => {
  api.trace.disable();
});

test("instruments made before the SDK registers report to it once it has", () => {
  api.trace.disable();
  const telemetry = new Telemetry(api);
  const exporter = new InMemorySpanExporter();
  api.trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));

  telemetry.startProcessing(2)?.end();

  const [span, ...others] = exporter.getFinishedSpans();
  expect(others).toEqual([]);
  expect(span?.name).toBe("process graph_invite.delivery");
  expect(span?.attributes["messaging.batch.message_count"]).toBe(2);
});
