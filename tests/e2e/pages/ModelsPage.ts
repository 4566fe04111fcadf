import { expect, type Locator, type Page } from '@playwright/test';
import type { ModelCard } from '@/lib/model/card';

/** The model registry page (/models): table of registered models and the upload form. */
export class ModelsPage {
  readonly table: Locator;
  readonly file: Locator;
  readonly cardJson: Locator;
  readonly submit: Locator;
  readonly done: Locator;
  readonly error: Locator;
  constructor(readonly page: Page) {
    this.table = page.getByTestId('models-table');
    this.file = page.getByTestId('model-upload-file');
    this.cardJson = page.getByTestId('model-card-json');
    this.submit = page.getByTestId('model-upload-submit');
    this.done = page.getByTestId('model-upload-done');
    this.error = page.getByTestId('model-upload-error');
  }
  async goto(): Promise<void> {
    await this.page.goto('/models');
    await expect(this.file).toBeVisible();
  }
  row(name: string): Locator {
    return this.page.getByTestId(`model-row-${name}`);
  }
  /** Chooses the .onnx file, replaces the card JSON and submits; waits for success (or fails with the page's error). */
  async register(fileName: string, bytes: Uint8Array, card: ModelCard): Promise<void> {
    await this.file.setInputFiles({ name: fileName, mimeType: 'application/octet-stream', buffer: Buffer.from(bytes) });
    await this.cardJson.fill(JSON.stringify(card, null, 2));
    await this.submit.click();
    await expect(this.done.or(this.error)).toBeVisible({ timeout: 60_000 });
    if (await this.error.isVisible()) throw new Error(`model upload failed: ${await this.error.textContent()}`);
  }
}
