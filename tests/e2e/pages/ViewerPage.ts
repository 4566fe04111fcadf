import { expect, type Locator, type Page } from '@playwright/test';
import type { RGB } from '@/lib/ui/palette';

type Vec3 = [number, number, number];

export class ViewerPage {
  readonly viewer: Locator;
  readonly rows: Locator;
  readonly segmentButton: Locator;
  readonly progress: Locator;
  readonly overlayToggle: Locator;
  readonly opacitySlider: Locator;
  constructor(readonly page: Page) {
    this.viewer = page.getByTestId('viewer');
    this.rows = page.getByTestId('instance-row');
    this.segmentButton = page.getByTestId('segment-button');
    this.progress = page.getByTestId('run-progress');
    this.overlayToggle = page.getByTestId('overlay-toggle');
    this.opacitySlider = page.getByTestId('opacity-slider');
  }
  async goto(studyId: string): Promise<void> {
    await this.page.goto(`/studies/${studyId}`);
    await expect(this.page.getByTestId('study-viewer')).toBeVisible();
    await this.waitVolumeLoaded();
  }
  async waitVolumeLoaded(): Promise<void> {
    await expect(this.viewer).toHaveAttribute('data-volume-loaded', 'true', { timeout: 60_000 });
  }
  async waitLabelsLoaded(): Promise<void> {
    await expect(this.viewer).toHaveAttribute('data-labels-loaded', 'true', { timeout: 60_000 });
  }
  row(labelId: number): Locator {
    return this.page.locator(`[data-testid="instance-row"][data-label-id="${labelId}"]`);
  }
  async crosshairVoxel(): Promise<Vec3 | null> {
    return this.page.evaluate(() => window.__tessera?.getCrosshairVoxel() ?? null);
  }
  async setOpacity(v: number): Promise<void> {
    // Keyboard Home/End move a native range input to its min/max and fire real input events.
    if (v === 1 || v === 0) {
      await this.opacitySlider.focus();
      await this.page.keyboard.press(v === 1 ? 'End' : 'Home');
    } else {
      await this.opacitySlider.fill(String(v));
    }
    await expect.poll(() => this.page.evaluate(() => window.__tessera?.opacity)).toBe(v);
  }
  /** Pixels of the WebGL canvas within `tol` of `rgb` (drawScene + readPixels in one task). */
  async countColor(rgb: RGB, tol = 2): Promise<number> {
    return this.page.evaluate(
      ({ rgb, tol }) => {
        const px = window.__tessera?.readCanvasPixels();
        if (!px) return -1;
        let n = 0;
        const d = px.data;
        for (let i = 0; i < d.length; i += 4) {
          if (Math.abs(d[i] - rgb[0]) <= tol && Math.abs(d[i + 1] - rgb[1]) <= tol && Math.abs(d[i + 2] - rgb[2]) <= tol) n++;
        }
        return n;
      },
      { rgb, tol },
    );
  }

  // --- "Run model" panel (ModelRunPanel) ---
  get modelSelect(): Locator {
    return this.page.getByTestId('model-select');
  }
  get modelRunButton(): Locator {
    return this.page.getByTestId('model-run-button');
  }
  get modelRunProgress(): Locator {
    return this.page.getByTestId('model-run-progress');
  }
  get modelRunDevice(): Locator {
    return this.page.getByTestId('model-run-device');
  }
  /** Picks a registered model (by id), chooses where it runs and clicks Run. */
  async runModel(modelId: string, on: 'browser' | 'server'): Promise<void> {
    await expect(this.modelSelect.locator(`option[value="${modelId}"]`)).toHaveCount(1, { timeout: 30_000 });
    await this.modelSelect.selectOption(modelId);
    await this.page.getByTestId(on === 'browser' ? 'model-run-on-browser' : 'model-run-on-server').check();
    await expect(this.modelRunButton).toBeEnabled();
    await this.modelRunButton.click();
  }
}
