import { decodeSharedConfig, encodeSharedConfig, sharedConfigOf, type SharedConfig } from '../core/config-url';
import { describeError } from './bridge';
import { useStudio } from './store';

const KEY = 'c';

function linkConfig(): string | null {
  return new URLSearchParams(location.hash.slice(1)).get(KEY);
}

/** The configuration a link carries, applied to the settings; a bad link leaves the defaults and says why. */
export function applyLink(): SharedConfig | null {
  const text = linkConfig();
  if (!text) return null;
  try {
    const shared = decodeSharedConfig(text);
    useStudio.setState({ settings: shared.settings });
    return shared;
  } catch (e) {
    useStudio.setState({ error: describeError(e) });
    return null;
  }
}

/** After the model loads: say so when the link was made with another model (compared by SHA-256). */
export function checkLinkModel(shared: SharedConfig | null): void {
  const model = useStudio.getState().model;
  if (!shared || !model || model.sha256 === shared.model.sha256) return;
  useStudio.setState({
    error: {
      kind: 'ModelMismatch',
      message: `This link was made with "${shared.model.name}" (SHA-256 ${shared.model.sha256.slice(0, 12)}…), but the loaded model is "${model.fileName}" (${model.sha256.slice(0, 12)}…). Open "${shared.model.name}" to reproduce the run; the link's settings are applied.`,
    },
  });
}

/** Keeps the address bar's #c=… equal to the current model and settings, so copying the URL shares them. */
export function syncLinkWithState(): () => void {
  let last = '';
  const write = (s: ReturnType<typeof useStudio.getState>) => {
    if (!s.model) return;
    const text = encodeSharedConfig(sharedConfigOf({ name: s.model.fileName, sha256: s.model.sha256 }, s.settings));
    if (text === last) return;
    last = text;
    history.replaceState(null, '', `#${KEY}=${text}`);
  };
  write(useStudio.getState());
  return useStudio.subscribe(write);
}
