import { expect, type Locator, type Page } from '@playwright/test';

/** Page object for notebooks: the list, one notebook's cells, their editors, runs and results. */
export class NotebookPage {
  readonly newTitle: Locator;
  readonly create: Locator;
  readonly view: Locator;
  readonly title: Locator;
  readonly addVql: Locator;
  readonly addMarkdown: Locator;
  /** VQL cells in notebook order. */
  readonly vqlCells: Locator;
  readonly exportMenu: Locator;
  readonly exportMarkdown: Locator;
  readonly exportHtml: Locator;
  readonly offlineNotice: Locator;
  readonly renameTitle: Locator;
  readonly confirm: Locator;

  constructor(readonly page: Page) {
    this.newTitle = page.getByRole('textbox', { name: 'New notebook title' });
    this.create = page.getByTestId('new-notebook');
    this.view = page.getByTestId('notebook-view');
    this.title = page.getByRole('textbox', { name: 'Notebook title' });
    this.addVql = page.getByTestId('add-vql');
    this.addMarkdown = page.getByRole('button', { name: 'Add Markdown cell' });
    this.vqlCells = page
      .locator('[data-testid^="cell-"]')
      .filter({ has: page.locator('[data-testid^="editor-"]') });
    this.exportMenu = page.getByTestId('notebook-export');
    this.exportMarkdown = page.getByTestId('export-markdown');
    this.exportHtml = page.getByTestId('export-html');
    this.offlineNotice = page.getByTestId('notebooks-offline');
    this.renameTitle = page.getByTestId('rename-title');
    this.confirm = page.getByTestId('notebook-confirm');
  }

  /** The card of a notebook in the list, by its title. */
  card(title: string): Locator {
    return this.page
      .locator('[data-testid^="notebook-card-"]')
      .filter({ has: this.page.getByText(title, { exact: true }) });
  }

  /** Runs an action from a card's menu (Rename…, Duplicate, Delete…). */
  async cardAction(title: string, action: string): Promise<void> {
    await this.card(title).getByTestId('notebook-actions').click();
    await this.page.getByRole('menuitem', { name: action }).click();
  }

  /** What the notebook recorded about a cell's last run, and the note of a capped result. */
  runRecord(cell: Locator): Locator {
    return cell.getByTestId('cell-run-record');
  }
  savedNote(cell: Locator): Locator {
    return cell.getByTestId('cell-saved-note');
  }

  /** Creates a notebook from the list and waits for its first editor (Monaco is a lazy chunk). */
  async createNotebook(title: string): Promise<void> {
    await this.newTitle.fill(title);
    await this.create.click();
    await expect(this.view).toBeVisible();
    await expect(this.editorOf(this.vqlCells.first())).toBeVisible({ timeout: 60_000 });
  }

  /** The editable text area of a cell's Monaco editor. */
  editorOf(cell: Locator): Locator {
    return cell.locator('[data-testid^="editor-"] .view-lines');
  }

  /** Replaces a cell's VQL by typing it, as a responder would (the cursor stays in that editor). */
  async setSource(cell: Locator, vql: string): Promise<void> {
    await this.editorOf(cell).click();
    await this.page.keyboard.press('ControlOrMeta+A');
    await this.page.keyboard.type(vql);
    // Close a suggestion list the typing may have opened; Escape inside the editor goes no further.
    await this.page.keyboard.press('Escape');
  }

  /** The result grid, run stats, error and run button of a cell. */
  grid(cell: Locator): Locator {
    return cell.getByRole('grid');
  }
  stats(cell: Locator): Locator {
    return cell.getByTestId('cell-stats');
  }
  error(cell: Locator): Locator {
    return cell.getByTestId('cell-error');
  }
  runButton(cell: Locator): Locator {
    return cell.getByTestId('cell-run');
  }

  async addVqlCells(n: number): Promise<void> {
    const before = await this.vqlCells.count();
    for (let i = 0; i < n; i++) await this.addVql.click();
    await expect(this.vqlCells).toHaveCount(before + n);
    await expect(this.editorOf(this.vqlCells.last())).toBeVisible({ timeout: 30_000 });
  }
}
