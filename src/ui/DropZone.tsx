import { useRef, useState, type DragEvent, type ReactNode } from 'react';

import { useStudio } from '../state/store';

/** Every file under dropped entries, with its path inside the drop (sub-folder names are labels). */
async function filesOf(entries: FileSystemEntry[]): Promise<File[]> {
  const out: File[] = [];
  const walk = async (entry: FileSystemEntry): Promise<void> => {
    if (entry.isFile) {
      const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
      out.push(Object.defineProperty(file, 'webkitRelativePath', { value: entry.fullPath.replace(/^\//, '') }));
      return;
    }
    const reader = (entry as FileSystemDirectoryEntry).createReader();
    // readEntries hands out a directory in chunks until it returns none.
    for (;;) {
      const chunk = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
      if (chunk.length === 0) break;
      for (const child of chunk) await walk(child);
    }
  };
  for (const entry of entries) await walk(entry);
  return out;
}

/** Loads the first .onnx file of a drop or a pick; says plainly when there is none. */
function useTakeFiles() {
  const loadFile = useStudio((s) => s.loadFile);
  const addImages = useStudio((s) => s.addImages);
  const reportError = useStudio((s) => s.reportError);
  return (files: FileList | File[] | null) => {
    const list = Array.from(files ?? []);
    const model = list.find((f) => f.name.toLowerCase().endsWith('.onnx'));
    const images = list.filter((f) => /\.(png|jpe?g|webp)$/i.test(f.name) || f.name === 'classes.txt');
    if (model) void loadFile(model);
    if (images.length > 0) void addImages(images);
    if (model || images.length > 0) return;
    if (list.length > 0) {
      reportError({
        kind: 'NoModelFile',
        message: `None of the dropped files is an .onnx model or an image (got ${list
          .map((f) => f.name)
          .slice(0, 3)
          .join(', ')}${list.length > 3 ? ', …' : ''}). Drop a file ending in .onnx, or JPEG, PNG or WebP images.`,
      });
    }
  };
}

/** The whole page accepts a dropped .onnx file. */
export function DropZone({ children }: { children: ReactNode }) {
  const [over, setOver] = useState(false);
  const take = useTakeFiles();

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    const entries = Array.from(e.dataTransfer.items ?? [], (item) => item.webkitGetAsEntry?.()).filter(
      (x): x is FileSystemEntry => Boolean(x),
    );
    if (entries.some((entry) => entry.isDirectory)) void filesOf(entries).then(take);
    else take(e.dataTransfer.files);
  };

  return (
    <div
      className={`dropzone${over ? ' dropzone-over' : ''}`}
      data-testid="dropzone"
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={onDrop}
    >
      {children}
      {over && (
        <div className="drop-overlay" aria-hidden="true">
          Drop a model, images or a folder of images
        </div>
      )}
    </div>
  );
}

/** The same as a drop, through the browser's file picker (and the keyboard). */
export function OpenModelButton() {
  const take = useTakeFiles();
  const input = useRef<HTMLInputElement>(null);
  return (
    <div className="actions">
      <button type="button" onClick={() => input.current?.click()}>
        Open model…
      </button>
      <input
        ref={input}
        type="file"
        accept=".onnx"
        aria-label="ONNX model file"
        hidden
        onChange={(e) => {
          take(e.target.files);
          e.target.value = '';
        }}
      />
      <span className="hint">or drop an .onnx model or a folder of images anywhere</span>
    </div>
  );
}
