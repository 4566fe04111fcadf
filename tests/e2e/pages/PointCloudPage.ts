import { expect, type Locator, type Page } from '@playwright/test';
import type { RGB } from '@/lib/ui/palette';

type Vec3 = [number, number, number];

/**
 * The point-cloud study page (app/_components/pointcloud). Reads the viewer's documented test hook
 * `window.__tesseraPointCloud` (PointCloudViewer.tsx).
 */
export class PointCloudPage {
  readonly canvas: Locator;
  readonly pointSize: Locator;
  readonly colourMode: Locator;
  readonly table: Locator;
  readonly selected: Locator;
  readonly downloadPly: Locator;
  readonly downloadCsv: Locator;
  // the Segment panel (SegmentPanel.tsx)
  readonly viewerPanel: Locator;
  readonly runOn: Locator;
  readonly serverDevice: Locator;
  readonly adapter: Locator;
  readonly segmentButton: Locator;
  readonly runProgress: Locator;
  readonly runStatus: Locator;
  readonly runDevice: Locator;
  readonly runDone: Locator;
  constructor(readonly page: Page) {
    this.canvas = page.getByTestId('pc-canvas');
    this.pointSize = page.getByTestId('pc-point-size');
    this.colourMode = page.getByTestId('pc-colour-mode');
    this.table = page.getByTestId('pc-instance-table');
    this.selected = page.getByTestId('pc-selected-instance');
    this.downloadPly = page.getByTestId('pc-download-ply');
    this.downloadCsv = page.getByTestId('pc-download-csv');
    this.viewerPanel = page.getByTestId('pc-viewer');
    this.runOn = page.getByTestId('pc-run-on');
    this.serverDevice = page.getByTestId('pc-server-device');
    this.adapter = page.getByTestId('pc-webgpu-adapter');
    this.segmentButton = page.getByTestId('pc-segment-button');
    this.runProgress = page.getByTestId('pc-run-progress');
    this.runStatus = page.getByTestId('pc-run-status');
    this.runDevice = page.getByTestId('pc-run-device');
    this.runDone = page.getByTestId('pc-run-done');
  }

  /** Picks "Run on: Browser (WebGPU)" or "Server" (with the server's device). */
  async runOnChoose(where: 'browser' | 'server', device?: 'auto' | 'cpu' | 'gpu'): Promise<void> {
    await this.page.getByTestId(`pc-run-on-${where}`).check();
    await expect(this.runOn).toHaveAttribute('data-run-on', where);
    if (where === 'server' && device) await this.serverDevice.selectOption(device);
  }

  /** Waits until the viewer draws the labels of `runId` with `instances` rows in the table. */
  async waitLabelsOfRun(runId: string, instances: number): Promise<void> {
    await expect(this.viewerPanel).toHaveAttribute('data-labels-run', runId, { timeout: 60_000 });
    await expect(this.viewerPanel).toHaveAttribute('data-loaded', 'true');
    await expect(this.table).toHaveAttribute('data-rows', String(instances));
    await expect(this.table.locator('tbody tr')).toHaveCount(instances);
    await this.waitReady();
  }

  async goto(studyId: string): Promise<void> {
    await this.page.goto(`/studies/${studyId}`);
    await expect(this.page.getByTestId('pointcloud-study')).toBeVisible({ timeout: 60_000 });
    await this.waitReady();
  }

  async waitReady(): Promise<void> {
    await expect(this.canvas).toBeVisible({ timeout: 60_000 });
    await expect.poll(async () => (await this.state())?.ready ?? false, { timeout: 60_000 }).toBe(true);
  }

  row(id: number): Locator {
    return this.page.getByTestId(`pc-instance-row-${id}`);
  }

  visibleBox(id: number): Locator {
    return this.page.getByTestId(`pc-instance-visible-${id}`);
  }

  /** The hook's plain fields (null before the viewer mounted). */
  async state(): Promise<{
    ready: boolean; points: number; valid: number; drawn: number; selected: number | null; colourMode: string; pointSize: number; hidden: number[]; renders: number;
  } | null> {
    return this.page.evaluate(() => {
      const h = window.__tesseraPointCloud;
      if (!h) return null;
      const { ready, points, valid, drawn, selected, colourMode, pointSize, hidden, renders } = h;
      return { ready, points, valid, drawn, selected, colourMode, pointSize, hidden, renders };
    });
  }

  async project(p: Vec3): Promise<[number, number] | null> {
    return this.page.evaluate((q) => window.__tesseraPointCloud?.project(q) ?? null, p);
  }

  async pickScreen(x: number, y: number): Promise<number | null> {
    return this.page.evaluate(([a, b]) => window.__tesseraPointCloud?.pickScreen(a, b) ?? null, [x, y] as const);
  }

  async cameraPosition(): Promise<Vec3> {
    return this.page.evaluate(() => window.__tesseraPointCloud!.cameraPosition());
  }

  async target(): Promise<Vec3> {
    return this.page.evaluate(() => window.__tesseraPointCloud!.target());
  }

  async setColourMode(mode: 'rgb' | 'class' | 'instance'): Promise<void> {
    await this.colourMode.selectOption(mode);
    await expect.poll(async () => (await this.state())?.colourMode).toBe(mode);
  }

  /** Canvas pixels within `tol` of `rgb` (the WebGL canvas keeps its drawing buffer). */
  async countColour(rgb: RGB, tol = 2): Promise<number> {
    return this.page.evaluate(
      ({ rgb, tol }) => {
        const c = document.querySelector('[data-testid="pc-canvas"]') as HTMLCanvasElement | null;
        if (!c) return -1;
        const off = document.createElement('canvas');
        off.width = c.width;
        off.height = c.height;
        const ctx = off.getContext('2d')!;
        ctx.drawImage(c, 0, 0);
        const d = ctx.getImageData(0, 0, off.width, off.height).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 4) {
          if (Math.abs(d[i] - rgb[0]) <= tol && Math.abs(d[i + 1] - rgb[1]) <= tol && Math.abs(d[i + 2] - rgb[2]) <= tol) n++;
        }
        return n;
      },
      { rgb, tol },
    );
  }
}
