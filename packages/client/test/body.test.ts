import { describe, expect, it } from "vitest";
import { readBounded } from "../src/body.js";

/** A stream of the given chunks that records whether its reader cancelled it. */
function streamOf(chunks: readonly Uint8Array[]) {
  const state = { cancelled: false, pulled: 0 };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const chunk = chunks[state.pulled++];
      if (chunk === undefined) controller.close();
      else controller.enqueue(chunk);
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return { stream, state };
}

describe("readBounded", () => {
  it("reads a body of exactly the limit whole, joining its chunks", async () => {
    const { stream } = streamOf([new Uint8Array([1, 2]), new Uint8Array([3]), new Uint8Array([4, 5])]);
    expect(await readBounded(stream, 5)).toEqual(new Uint8Array([1, 2, 3, 4, 5]));
  });

  it("gives up at the first byte past the limit and cancels the stream instead of reading the rest", async () => {
    const chunks = [new Uint8Array(4), new Uint8Array(2), new Uint8Array(1024 * 1024)];
    const { stream, state } = streamOf(chunks);
    expect(await readBounded(stream, 5)).toBeUndefined();
    expect(state.cancelled).toBe(true);
    expect(state.pulled).toBeLessThan(chunks.length);
  });

  it("reads a missing body as no bytes", async () => {
    expect(await readBounded(null, 5)).toEqual(new Uint8Array(0));
  });
});
