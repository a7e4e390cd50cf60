import type { Page } from '@playwright/test';

/** Drops files on an element the way a user's drag and drop does: a drop event carrying a DataTransfer. */
export async function dropFiles(page: Page, selector: string, files: { name: string; bytes: Uint8Array }[]): Promise<void> {
  const dataTransfer = await page.evaluateHandle(
    (list) => {
      const dt = new DataTransfer();
      for (const { name, data } of list) dt.items.add(new File([new Uint8Array(data)], name));
      return dt;
    },
    files.map(({ name, bytes }) => ({ name, data: Array.from(bytes) })),
  );
  await page.dispatchEvent(selector, 'drop', { dataTransfer });
}

export const screenshotPath = (name: string) => `test-results/screens/${name}.png`;
