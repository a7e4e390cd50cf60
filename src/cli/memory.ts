/** Peak JS heap and resident set of this process, sampled every 100 ms and at every progress event. */
export function peakMemory() {
  const peak = { heapMiB: 0, rssMiB: 0 };
  const sample = () => {
    const m = process.memoryUsage();
    peak.heapMiB = Math.max(peak.heapMiB, m.heapUsed / 2 ** 20);
    peak.rssMiB = Math.max(peak.rssMiB, m.rss / 2 ** 20);
  };
  const timer = setInterval(sample, 100);
  timer.unref();
  return { sample, stop: () => (clearInterval(timer), sample(), { peakHeapMiB: Math.round(peak.heapMiB), peakRssMiB: Math.round(peak.rssMiB) }) };
}
