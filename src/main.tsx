import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './ui/App';
import { applyLink, checkLinkModel, syncLinkWithState } from './state/share';
import { useStudio } from './state/store';
import './ui/styles.css';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);

// The demo's preprocessing is set before anything loads, so the page never shows another preset for
// it; the demo and its images load, a shared link's settings then win, and the address bar follows
// every change from there on.
void (async () => {
  const studio = useStudio.getState();
  studio.setPreset('zero1');
  await studio.loadDemo();
  await studio.loadDemoImages();
  const shared = applyLink();
  checkLinkModel(shared);
  syncLinkWithState();
})();
void useStudio.getState().checkGpu();
