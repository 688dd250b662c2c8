import { expect, type Locator, type Page } from '@playwright/test';
import { ArtifactPicker } from './ArtifactPicker';

/**
 * The Clients page: search, the list with its multi-select actions (collect on many, labels, a hunt
 * instead), one client's detail with its collect wizard, flows, VFS browser and hex view.
 */
export class ClientsPage {
  readonly search: Locator;
  readonly searchHint: Locator;
  readonly table: Locator;
  readonly noClients: Locator;
  /** Every listed client row. */
  readonly rows: Locator;
  readonly detail: Locator;
  readonly labelsInput: Locator;

  // Multi-select.
  readonly selectionCount: Locator;
  readonly selectShown: Locator;
  readonly selectAllMatching: Locator;
  readonly allMatchingSelected: Locator;
  readonly bulkCollect: Locator;
  readonly bulkLabel: Locator;
  readonly bulkClear: Locator;
  readonly launchResult: Locator;
  readonly launchSummary: Locator;
  /** The state of each launched flow, in list order. */
  readonly launchFlowStates: Locator;
  readonly labelInput: Locator;
  readonly labelApply: Locator;
  readonly labelSummary: Locator;
  readonly labelClose: Locator;

  // The collect wizard (one client or many) and its hunt suggestion.
  readonly collectButton: Locator;
  readonly collectNext: Locator;
  readonly collectLaunch: Locator;
  readonly collectReview: Locator;
  readonly parameterStep: Locator;
  readonly huntSuggestion: Locator;
  readonly collectHuntInstead: Locator;
  readonly huntScope: Locator;
  readonly huntScopeAll: Locator;
  readonly huntScopeNext: Locator;

  // A flow, the VFS browser and the hex view.
  readonly flowView: Locator;
  readonly exportZip: Locator;
  readonly hostname: Locator;
  readonly flowState: Locator;
  readonly vfsRefresh: Locator;
  readonly vfsTable: Locator;
  readonly hexView: Locator;
  readonly hex: HexView;

  constructor(readonly page: Page) {
    const id = (testId: string) => page.getByTestId(testId);
    this.search = id('client-search').getByRole('combobox');
    this.searchHint = id('client-search-hint');
    this.table = id('client-table');
    this.noClients = id('no-clients');
    this.rows = page.locator('[data-testid^="client-row-"]');
    this.detail = id('client-detail');
    this.labelsInput = id('labels-input');
    this.selectionCount = id('selection-count');
    this.selectShown = id('select-shown');
    this.selectAllMatching = id('select-all-matching');
    this.allMatchingSelected = id('all-matching-selected');
    this.bulkCollect = id('bulk-collect');
    this.bulkLabel = id('bulk-label');
    this.bulkClear = id('bulk-clear');
    this.launchResult = id('launch-result');
    this.launchSummary = id('launch-summary');
    this.launchFlowStates = this.launchResult.getByTestId('launch-flow-state');
    this.labelInput = id('label-input').getByRole('combobox');
    this.labelApply = id('label-apply');
    this.labelSummary = id('label-summary');
    this.labelClose = id('label-close');
    this.collectButton = id('collect-button');
    this.collectNext = id('collect-next');
    this.collectLaunch = id('collect-launch');
    this.collectReview = id('collect-review');
    this.parameterStep = id('parameter-step');
    this.huntSuggestion = id('hunt-suggestion');
    this.collectHuntInstead = id('collect-hunt-instead');
    this.huntScope = id('hunt-scope');
    this.huntScopeAll = id('hunt-scope-all');
    this.huntScopeNext = id('hunt-scope-next');
    this.flowView = id('flow-view');
    this.exportZip = id('export-zip');
    this.hostname = id('client-hostname');
    this.flowState = id('flow-state');
    this.vfsRefresh = id('vfs-refresh');
    this.vfsTable = id('vfs-table');
    this.hexView = id('hex-view');
    this.hex = new HexView(this.hexView);
  }

  row(clientId: string): Locator {
    return this.page.getByTestId(`client-row-${clientId}`);
  }
  /** The labels a client row shows. */
  labelsOf(row: Locator): Locator {
    return row.getByTestId('client-labels');
  }
  selectBox(clientId: string): Locator {
    return this.page.getByTestId(`select-${clientId}`);
  }
  launchFlow(clientId: string): Locator {
    return this.page.getByTestId(`launch-flow-${clientId}`);
  }
  launchFlowLink(clientId: string): Locator {
    return this.page.getByTestId(`launch-flow-link-${clientId}`);
  }
  labelOutcome(clientId: string): Locator {
    return this.page.getByTestId(`label-outcome-${clientId}`);
  }
  /** A file's download button, its finished download and its hex-view button in the VFS table. */
  download(file: string): Locator {
    return this.page.getByTestId(`download-${file}`);
  }
  downloadDone(file: string): Locator {
    return this.page.getByTestId(`download-done-${file}`);
  }
  hexButton(file: string): Locator {
    return this.page.getByTestId(`hex-${file}`);
  }
  /** Where a finished download was saved, and its SHA-256, as the page reports them. */
  async downloadedPath(done: Locator): Promise<string> {
    return (await done.getByTestId('download-path').textContent())!.trim();
  }
  async downloadedSha256(done: Locator): Promise<string> {
    return (await done.getByTestId('download-sha256').textContent())!.trim();
  }

  /** The sort button of a column (status, host, client, os, seen) and its header cell. */
  sortBy(column: string): Locator {
    return this.page.getByTestId(`client-sort-${column}`);
  }
  sortHeader(column: string): Locator {
    return this.page.getByRole('columnheader').filter({ has: this.sortBy(column) });
  }

  async searchFor(query: string): Promise<void> {
    await this.search.fill(query);
    await this.page.keyboard.press('Escape');
    await expect(this.table.or(this.noClients)).toBeVisible();
  }

  /** Rows of online clients of one OS (the simulator keeps online agents online). */
  onlineRows(os: string): Locator {
    return this.rows.filter({ hasText: os }).filter({ has: this.page.getByText('online', { exact: true }) });
  }

  async idOf(row: Locator): Promise<string> {
    return (await row.getAttribute('data-testid'))!.replace('client-row-', '');
  }

  async expectSelected(n: number): Promise<void> {
    await expect(this.selectionCount).toHaveText(`${n} selected`);
  }

  /** Opens the first listed client of `os` and returns its id. */
  async openFirstClient(os: string): Promise<string> {
    const row = this.rows.filter({ hasText: os }).first();
    const id = await this.idOf(row);
    await row.click();
    await expect(this.detail).toBeVisible();
    return id;
  }

  /** Picks an artifact in the collect wizard. */
  async pickArtifact(name: string, search = name): Promise<void> {
    await new ArtifactPicker(this.page).pick(name, search);
  }

  /** Collects `artifact` on the open client with default parameters and waits until it finished. */
  async collect(artifact: string, search: string): Promise<void> {
    await this.collectButton.click();
    await this.pickArtifact(artifact, search);
    await this.collectNext.click();
    await this.collectNext.click();
    await this.collectLaunch.click();
    await expect(this.flowView).toBeVisible();
    await expect(this.flowState).toHaveText('FINISHED', { timeout: 45_000 });
  }

  /** The first result grid inside `scope`. */
  grid(scope: Locator): Locator {
    return scope.getByRole('grid').first();
  }
}

/** The hex view of a downloaded file: rows of 16 bytes, the range shown, jump to an offset. */
export class HexView {
  readonly range: Locator;
  readonly rows: Locator;
  readonly jumpTo: Locator;
  readonly go: Locator;

  constructor(readonly root: Locator) {
    this.range = root.getByTestId('hex-range');
    this.rows = root.locator('[data-testid^="hex-row-"]');
    this.jumpTo = root.getByTestId('hex-jump');
    this.go = root.getByTestId('hex-go');
  }

  /** The row starting at byte `offset`. */
  row(offset: number): Locator {
    return this.root.getByTestId(`hex-row-${offset.toString(16).padStart(8, '0')}`);
  }
  bytesOf(row: Locator): Locator {
    return row.getByTestId('hex-bytes');
  }
  asciiOf(row: Locator): Locator {
    return row.getByTestId('hex-ascii');
  }

  async jump(offset: string): Promise<void> {
    await this.jumpTo.fill(offset);
    await this.go.click();
  }
}
