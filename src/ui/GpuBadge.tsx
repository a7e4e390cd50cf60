import { useStudio } from '../state/store';

export function GpuBadge() {
  const gpu = useStudio((s) => s.gpu);
  if (!gpu)
    return (
      <span className="badge" role="status">
        Checking WebGPU…
      </span>
    );
  if (!gpu.available) {
    return (
      <span className="badge badge-warn" role="status" data-testid="gpu-badge">
        No WebGPU: {gpu.reason}
      </span>
    );
  }
  const { adapter, selfTest } = gpu;
  const name = [adapter.vendor, adapter.architecture].filter(Boolean).join(' ') || adapter.description || 'unknown adapter';
  return (
    <span
      className={`badge ${selfTest.passed ? 'badge-ok' : 'badge-warn'}`}
      role="status"
      data-testid="gpu-badge"
      title={`Gram kernel self-test: max relative error ${selfTest.maxRelativeError.toExponential(2)} in ${selfTest.milliseconds.toFixed(0)} ms`}
    >
      WebGPU: {name}
      {adapter.isFallback ? ' (software)' : ''} · self-test {selfTest.passed ? 'passed' : 'FAILED'}
    </span>
  );
}
