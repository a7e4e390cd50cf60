import { useStudio } from '../state/store';

const TITLES: Record<string, string> = {
  CancelledError: 'Run cancelled',
  OnnxFormatError: 'Not a valid ONNX model',
  ExternalDataError: 'Weights stored outside the model',
  InvalidArgumentError: 'Cannot do that',
  UnsupportedModelError: 'Model not supported',
  NoModelFile: 'Nothing to open',
  ModelMismatch: 'A different model',
  GpuDeviceLostError: 'The GPU stopped',
  DeviceLimitError: 'Too large for this GPU',
  WorkerCrashedError: 'The studio restarted its worker',
};

export function ErrorBanner() {
  const error = useStudio((s) => s.error);
  const dismiss = useStudio((s) => s.dismissError);
  const model = useStudio((s) => s.model);
  if (!error) return null;
  return (
    <div className="error" role="alert">
      <strong>
        {TITLES[error.kind] ?? (error.kind === 'Error' ? 'Something went wrong' : error.kind.replace(/([a-z])([A-Z])/g, '$1 $2'))}
      </strong>
      <p>{error.message}</p>
      {model && <p className="kept">Still loaded: {model.fileName}.</p>}
      <button type="button" onClick={dismiss}>
        Dismiss
      </button>
    </div>
  );
}
