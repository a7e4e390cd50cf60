/**
 * Peak memory of this process, sampled every 100 ms and at every progress event: the V8 heap, the
 * array buffers outside it (typed arrays, onnxruntime's wasm memory) and the resident set.
 */
export function peakMemory() {
  const peak = { heapMiB: 0, arrayBuffersMiB: 0, rssMiB: 0 };
  const sample = () => {
    const m = process.memoryUsage();
    peak.heapMiB = Math.max(peak.heapMiB, m.heapUsed / 2 ** 20);
    peak.arrayBuffersMiB = Math.max(peak.arrayBuffersMiB, m.arrayBuffers / 2 ** 20);
    peak.rssMiB = Math.max(peak.rssMiB, m.rss / 2 ** 20);
  };
  const timer = setInterval(sample, 100);
  timer.unref();
  return {
    sample,
    stop: () => (
      clearInterval(timer),
      sample(),
      {
        peakHeapMiB: Math.round(peak.heapMiB),
        peakArrayBuffersMiB: Math.round(peak.arrayBuffersMiB),
        peakRssMiB: Math.round(peak.rssMiB),
      }
    ),
  };
}
