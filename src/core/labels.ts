/** Class names from a classes file: one per line, blank lines ignored. */
export function parseClasses(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
}

/**
 * The label of an image from its path: the parent folder's name, or else the file-name prefix before
 * the first underscore (`3_0017.png`, `Trouser_0017.png`). A label is a class index, or a class name
 * looked up in `classes`. Returns null when the path carries no label. Whether a label fits the model
 * (a classifier with that many classes) is for the evaluation to say: labels that do not are ignored there.
 */
export function labelFromPath(path: string, classes: string[] | null): number | null {
  const parts = path.split(/[\\/]/).filter(Boolean);
  const file = parts.at(-1) ?? '';
  const candidates = [parts.length > 1 ? parts.at(-2)! : null, file.includes('_') ? file.slice(0, file.indexOf('_')) : null];
  for (const raw of candidates) {
    if (raw === null) continue;
    if (/^\d+$/.test(raw)) return Number(raw);
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
    if (folder && !/^\d+$/.test(folder) && !classes.includes(folder) && labelFromPath(path, classes) === null) out.add(folder);
  }
  return [...out].sort();
}
