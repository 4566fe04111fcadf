import { expect, type Locator, type Page } from '@playwright/test';

export class StudiesPage {
  readonly items: Locator;
  constructor(readonly page: Page) {
    this.items = page.getByTestId('study-item');
  }
  async goto(): Promise<void> {
    await this.page.goto('/studies');
    await expect(this.page.getByTestId('studies-page')).toBeVisible();
  }
  study(id: string): Locator {
    return this.page.locator(`[data-testid="study-item"][data-study-id="${id}"]`);
  }
  async open(id: string): Promise<void> {
    await this.study(id).getByTestId('study-link').click();
    await expect(this.page).toHaveURL(new RegExp(`/studies/${id}$`));
  }
}
