import { vi } from 'vitest';

/** Runs `f` with stdout and stderr captured instead of printed. */
export function quiet<T>(f: () => Promise<T>): Promise<{ result: T; stderr: string; stdout: string }> {
  let stderr = '';
  let stdout = '';
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  return f()
    .then((result) => ({ result, stderr, stdout }))
    .finally(() => (err.mockRestore(), out.mockRestore()));
}
