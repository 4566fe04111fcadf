import { expect, test } from '@playwright/test';
import { UploadPage } from './pages/UploadPage';
import { StudiesPage } from './pages/StudiesPage';
import { smallNifti } from './support/volumes';
import { api } from './support/api';

test('uploading a NIfTI creates a study that appears in the list', async ({ page }) => {
  const before = (await api.studiesList()).length;
  const upload = new UploadPage(page);
  await upload.goto();
  const name = `E2E upload ${Date.now()}`;
  await upload.upload('e2e_small.nii.gz', smallNifti([24, 20, 16], { gzip: true }), name);
  const studyId = await upload.uploadedStudyId();

  const list = await api.studiesList();
  expect(list.length).toBe(before + 1);
  const created = list.find((s) => s.id === studyId);
  expect(created?.name).toBe(name);
  expect(created?.kind).toBe('volume');

  const studies = new StudiesPage(page);
  await studies.goto();
  await expect(studies.study(studyId)).toBeVisible();
  await expect(studies.study(studyId)).toContainText(name);
  await expect(studies.study(studyId)).toContainText('24 × 20 × 16');

  // The viewer opens it.
  await studies.open(studyId);
  await expect(page.getByTestId('viewer')).toHaveAttribute('data-volume-loaded', 'true', { timeout: 60_000 });
  await expect(page.getByTestId('viewer-error')).toHaveCount(0);
});
