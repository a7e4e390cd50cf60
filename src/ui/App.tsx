import { useStudio } from '../state/store';
import { DropZone, OpenModelButton } from './DropZone';
import { ErrorBanner } from './ErrorBanner';
import { GpuBadge } from './GpuBadge';
import { LayerTable } from './LayerTable';
import { ModelPanel } from './ModelPanel';
import { Charts } from './Charts';
import { ResultsPanel } from './ResultsPanel';
import { RunPanel } from './RunPanel';
import { RunsTable } from './RunsTable';
import { SensitivityPanel } from './SensitivityPanel';

export function App() {
  const model = useStudio((s) => s.model);
  const loading = useStudio((s) => s.loading);
  return (
    <DropZone>
      <header className="topbar">
        <h1>Bit-Split Studio</h1>
        <p className="tagline">Quantize ONNX models in your browser, on your GPU. Nothing is uploaded.</p>
        <GpuBadge />
      </header>
      <OpenModelButton />
      <main>
        <ErrorBanner />
        {loading && (
          <p className="status" role="status">
            Loading {loading}…
          </p>
        )}
        {model ? (
          <>
            <ModelPanel model={model} />
            <RunPanel />
            <ResultsPanel />
            <RunsTable />
            <SensitivityPanel model={model} />
            <LayerTable model={model} />
            <Charts />
          </>
        ) : (
          !loading && <p className="empty">Drop an ONNX model anywhere on this page, or open one with the button above.</p>
        )}
      </main>
    </DropZone>
  );
}
