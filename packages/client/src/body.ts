// Reading a body that the other side controls, without holding more of it than a limit. Also published as
// `@graph-invite/client/body`: the bot kit reads notification requests with it, the client token responses.

/**
 * The stream's bytes, or `undefined` as soon as they pass `limit` bytes, in which case the rest is not read and the
 * stream is cancelled. A `null` body (a response or request without one) reads as no bytes. A failure of the stream
 * itself rejects.
 */
export async function readBounded(
  body: ReadableStream<Uint8Array> | null,
  limit: number,
): Promise<Uint8Array | undefined> {
  if (body === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return concat(chunks, size);
}

function concat(chunks: readonly Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1 && chunks[0] !== undefined) return chunks[0];
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}
