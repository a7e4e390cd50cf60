import { StudioError } from './errors';

/** Class names from a classes file: one per line, blank lines ignored. */
export function parseClasses(text: string): string[] {
  return text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
}

/**
 * The label of an image from its path: the parent folder's name, or else the file-name prefix before
 * the first underscore (`3_0017.png`, `Trouser_0017.png`). A label is a class index, or a class name
 * looked up in `classes`. Returns null when the path carries no label.
 */
export function labelFromPath(path: string, classes: string[] | null, numClasses: number): number | null {
  const parts = path.split(/[\\/]/).filter(Boolean);
  const file = parts.at(-1) ?? '';
  const candidates = [parts.length > 1 ? parts.at(-2)! : null, file.includes('_') ? file.slice(0, file.indexOf('_')) : null];
  for (const raw of candidates) {
    if (raw === null) continue;
    if (/^\d+$/.test(raw)) {
      const index = Number(raw);
      if (index >= numClasses) {
        throw new StudioError('InvalidArgumentError', `"${path}" is labelled ${index}, but the model has only ${numClasses} classes (0..${numClasses - 1}).`);
      }
      return index;
    }
    const byName = classes?.indexOf(raw) ?? -1;
    if (byName >= 0) return byName;
  }
  return null;
}

/** Folder names that look like class names but are not in the classes file: a typo costs the labels. */
export function unmatchedFolders(paths: string[], classes: string[] | null): string[] {
  if (!classes) return [];
  const out = new Set<string>();
  for (const path of paths) {
    const parts = path.split(/[\\/]/).filter(Boolean);
    const folder = parts.length > 1 ? parts.at(-2)! : null;
    if (folder && !/^\d+$/.test(folder) && !classes.includes(folder) && labelFromPathOrNull(path, classes) === null) out.add(folder);
  }
  return [...out].sort();
}

function labelFromPathOrNull(path: string, classes: string[]): number | null {
  try {
    return labelFromPath(path, classes, Number.MAX_SAFE_INTEGER);
  } catch {
    return null;
  }
}
