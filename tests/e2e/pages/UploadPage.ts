import { expect, type Locator, type Page } from '@playwright/test';

export class UploadPage {
  readonly input: Locator;
  readonly success: Locator;
  readonly error: Locator;
  constructor(readonly page: Page) {
    this.input = page.getByTestId('upload-input');
    this.success = page.getByTestId('upload-success');
    this.error = page.getByTestId('upload-error');
  }
  async goto(): Promise<void> {
    await this.page.goto('/upload');
    await expect(this.page.getByTestId('dropzone')).toBeVisible();
  }
  async upload(name: string, bytes: Uint8Array, studyName?: string): Promise<void> {
    if (studyName) await this.page.getByTestId('upload-name').fill(studyName);
    await this.input.setInputFiles({ name, mimeType: 'application/octet-stream', buffer: Buffer.from(bytes) });
  }
  /** Study id from the success message's link. */
  async uploadedStudyId(): Promise<string> {
    await expect(this.success).toBeVisible({ timeout: 60_000 });
    const href = await this.page.getByTestId('upload-study-link').getAttribute('href');
    const m = href?.match(/\/studies\/([^/?#]+)/);
    if (!m) throw new Error(`no study link in the success message (href=${href})`);
    return m[1];
  }
}
