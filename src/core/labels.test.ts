import { describe, expect, it } from 'vitest';
import { labelFromPath, parseClasses, unmatchedFolders } from './labels';

describe('labels from paths', () => {
  const classes = parseClasses('cat\ndog\n\nbird\n');

  it('reads sub-folder names and file-name prefixes, by index or class name', () => {
    expect(labelFromPath('set/dog/a.png', classes)).toBe(1);
    expect(labelFromPath('2_0017.png', classes)).toBe(2);
    expect(labelFromPath('bird_0017.png', classes)).toBe(2);
    expect(labelFromPath('photo.png', classes)).toBeNull();
    // Whether 7 fits the model is the evaluation's to say (model-metrics.test.ts): a detector ignores labels.
    expect(labelFromPath('7/a.png', classes)).toBe(7);
  });

  it('names the folders that match no class, once each', () => {
    expect(unmatchedFolders(['set/dogs/a.png', 'set/dogs/b.png', 'set/cat/c.png', 'set/1/d.png', 'e.png'], classes)).toEqual([
      'dogs',
    ]);
    expect(unmatchedFolders(['set/dogs/a.png'], null)).toEqual([]);
  });
});
