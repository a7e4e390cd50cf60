/**
 * Every error the studio raises on purpose. The kind travels as `Error.name` because Comlink carries
 * only `name`, `message` and `stack` across the worker boundary.
 */
export type StudioErrorKind =
  | 'OnnxFormatError'
  | 'ExternalDataError'
  | 'UnsupportedTensorError'
  | 'GpuUnavailableError'
  | 'GpuKernelError'
  | 'GpuDeviceLostError'
  | 'DeviceLimitError'
  | 'InvalidArgumentError'
  | 'UnsupportedModelError'
  | 'OnnxRuntimeError'
  | 'CancelledError';

export class StudioError extends Error {
  constructor(
    readonly kind: StudioErrorKind,
    message: string,
  ) {
    super(message);
    this.name = kind;
  }
}

export function isStudioError(e: unknown, kind?: StudioErrorKind): e is StudioError {
  return e instanceof Error && (kind ? e.name === kind : e instanceof StudioError);
}
