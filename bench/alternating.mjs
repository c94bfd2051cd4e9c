// Compares two tasks on a shared, noisy machine: many short slices that alternate between them, in swapped order
// each pair, and the median of the pairs' ratios. Bursts of other work then land on single slices, which the median
// discards, instead of on one task's whole measurement, as when each task runs for seconds in turn.

/**
 * Runs `task` `times` times in sequence and returns the elapsed milliseconds. A task's promise is awaited; a
 * synchronous task is not, so that the slice does not time the await instead of the task.
 */
async function timeSlice(task, times) {
  const start = performance.now();
  for (let index = 0; index < times; index++) {
    const result = task(index);
    if (typeof result?.then === "function") await result;
  }
  return performance.now() - start;
}

/**
 * @param {{ ours: (index: number) => unknown, baseline: (index: number) => unknown, slices?: number, sliceSize?: number }} tasks
 * @returns {Promise<{ ratio: number, oursMs: number, baselineMs: number, slices: number, sliceSize: number }>}
 *   `ratio` is the median of baseline time over ours (above 1 means ours is faster); the times are the median
 *   slice times.
 */
export async function compareAlternating({ ours, baseline, slices = 61, sliceSize = 1000 }) {
  for (let warmup = 0; warmup < 5; warmup++) {
    await timeSlice(baseline, sliceSize);
    await timeSlice(ours, sliceSize);
  }
  const pairs = [];
  for (let slice = 0; slice < slices; slice++) {
    const oursFirst = slice % 2 === 0;
    const first = await timeSlice(oursFirst ? ours : baseline, sliceSize);
    const second = await timeSlice(oursFirst ? baseline : ours, sliceSize);
    pairs.push(oursFirst ? { ours: first, baseline: second } : { ours: second, baseline: first });
  }
  return {
    ratio: median(pairs.map((pair) => pair.baseline / pair.ours)),
    oursMs: median(pairs.map((pair) => pair.ours)),
    baselineMs: median(pairs.map((pair) => pair.baseline)),
    slices,
    sliceSize,
  };
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
