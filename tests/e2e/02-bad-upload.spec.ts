import { expect, test } from '@playwright/test';
import { UploadPage } from './pages/UploadPage';
import { smallNifti } from './support/volumes';
import { api } from './support/api';
import { E2E_BASE_URL } from './support/constants';

function setInt16(bytes: Uint8Array, offset: number, v: number): Uint8Array {
  const out = bytes.slice();
  new DataView(out.buffer, out.byteOffset, out.byteLength).setInt16(offset, v, true);
  return out;
}

const valid = smallNifti([24, 20, 16]); // uncompressed, little-endian, 352-byte prefix + uint16 data

const cases: { name: string; file: string; bytes: Uint8Array }[] = [
  {
    name: 'not a NIfTI file',
    file: 'notes.nii',
    bytes: new TextEncoder().encode('This is a plain text file, not a NIfTI volume.\n'.repeat(20)),
  },
  { name: 'truncated inside the header', file: 'cut.nii', bytes: valid.slice(0, 200) },
  { name: 'header claims more data than present', file: 'short.nii', bytes: valid.slice(0, 352 + 1000) },
  { name: 'a dimension of 0', file: 'dim0.nii', bytes: setInt16(valid, 42, 0) /* dim[1] */ },
];

for (const c of cases) {
  test(`bad upload is rejected with a typed error: ${c.name}`, async ({ page }) => {
    const before = (await api.studiesList()).length;

    // API: 4xx with { error: { code, message, where, hint } }.
    const r = await fetch(`${E2E_BASE_URL}/api/upload`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', 'x-filename': encodeURIComponent(c.file) },
      body: Buffer.from(c.bytes),
    });
    expect(r.status, 'HTTP status').toBeGreaterThanOrEqual(400);
    expect(r.status, 'HTTP status').toBeLessThan(500);
    const body = (await r.json()) as { error?: { code?: string; message?: string; where?: string; hint?: string } };
    expect(body.error?.code, 'typed error code').toMatch(/^[A-Z_]+$/);
    expect(body.error?.message?.length ?? 0).toBeGreaterThan(5);

    // UI: the same error, shown clearly.
    const upload = new UploadPage(page);
    await upload.goto();
    await upload.upload(c.file, c.bytes);
    await expect(upload.error).toBeVisible({ timeout: 30_000 });
    await expect(page.getByTestId('upload-error-code')).toHaveText(body.error!.code!);
    await expect(page.getByTestId('upload-error-message')).toHaveText(body.error!.message!);
    if (body.error?.hint) await expect(page.getByTestId('upload-error-hint')).toHaveText(body.error.hint);
    await expect(upload.success).toHaveCount(0);

    // Nothing stored.
    expect((await api.studiesList()).length).toBe(before);
  });
}
