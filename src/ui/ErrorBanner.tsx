import { useStudio } from '../state/store';

export function ErrorBanner() {
  const error = useStudio((s) => s.error);
  const dismiss = useStudio((s) => s.dismissError);
  const model = useStudio((s) => s.model);
  if (!error) return null;
  return (
    <div className="error" role="alert">
      <strong>{error.kind === 'Error' ? 'Something went wrong' : error.kind.replace(/([a-z])([A-Z])/g, '$1 $2')}</strong>
      <p>{error.message}</p>
      {model && <p className="kept">Still loaded: {model.fileName}.</p>}
      <button type="button" onClick={dismiss}>
        Dismiss
      </button>
    </div>
  );
}
