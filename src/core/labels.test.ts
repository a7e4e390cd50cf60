import { describe, expect, it } from 'vitest';
import { labelFromPath, parseClasses, unmatchedFolders } from './labels';

describe('labels from paths', () => {
  const classes = parseClasses('cat\ndog\n\nbird\n');

  it('reads sub-folder names and file-name prefixes, by index or class name', () => {
    expect(labelFromPath('set/dog/a.png', classes, 3)).toBe(1);
    expect(labelFromPath('2_0017.png', classes, 3)).toBe(2);
    expect(labelFromPath('bird_0017.png', classes, 3)).toBe(2);
    expect(labelFromPath('photo.png', classes, 3)).toBeNull();
    expect(() => labelFromPath('7/a.png', classes, 3)).toThrowError('"7/a.png" is labelled 7, but the model has only 3 classes (0..2).');
  });

  it('names the folders that match no class, once each', () => {
    expect(unmatchedFolders(['set/dogs/a.png', 'set/dogs/b.png', 'set/cat/c.png', 'set/1/d.png', 'e.png'], classes)).toEqual(['dogs']);
    expect(unmatchedFolders(['set/dogs/a.png'], null)).toEqual([]);
  });
});
