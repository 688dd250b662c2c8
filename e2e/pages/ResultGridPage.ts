import { expect, type Locator } from '@playwright/test';

/** Page object for one result grid (a notebook cell's, a flow's, a hunt's): header, cells, detail panel. */
export class ResultGridPage {
  readonly scroller: Locator;
  readonly count: Locator;
  readonly wrap: Locator;
  readonly filter: Locator;
  readonly exportCsv: Locator;
  readonly detail: Locator;
  readonly headers: Locator;

  constructor(readonly root: Locator) {
    this.scroller = root.getByTestId('grid-scroll');
    this.count = root.getByTestId('grid-count');
    this.wrap = root.getByTestId('grid-wrap');
    this.filter = root.getByRole('textbox', { name: 'Filter rows' });
    this.exportCsv = root.getByTestId('export-csv');
    this.detail = root.getByTestId('grid-detail');
    this.headers = root.getByRole('columnheader');
  }

  header(column: string): Locator {
    return this.root.getByTestId(`colhead-${column}`);
  }

  resizer(column: string): Locator {
    return this.root.getByTestId(`resize-${column}`);
  }

  /** The cells of a row (0-based, as the grid counts them). */
  row(i: number): Locator {
    return this.scroller.locator(`[data-row="${i}"]`);
  }

  /** The cell of row i under a column header (scrolled into view: the grid renders the columns in view). */
  async cell(i: number, column: string): Promise<Locator> {
    await this.header(column).scrollIntoViewIfNeeded();
    const index = await this.header(column).getAttribute('aria-colindex');
    return this.row(i).locator(`[role="gridcell"][aria-colindex="${index}"]`);
  }

  detailField(column: string): Locator {
    return this.detail.getByTestId(`detail-field-${column}`);
  }

  async columnOrder(): Promise<string[]> {
    return (await this.headers.allTextContents()).map((t) => t.trim());
  }

  async width(column: string): Promise<number> {
    const box = await this.header(column).boundingBox();
    expect(box).not.toBeNull();
    return box!.width;
  }

  /** Drags a header's resize handle by dx pixels. */
  async dragEdge(column: string, dx: number): Promise<void> {
    const box = (await this.resizer(column).boundingBox())!;
    const page = this.root.page();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + dx / 2, box.y + box.height / 2, { steps: 3 });
    await page.mouse.move(box.x + box.width / 2 + dx, box.y + box.height / 2, { steps: 3 });
    await page.mouse.up();
  }
}
