import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_WINDOW_STATE, WindowStateStore } from './window-state';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'megaraptor-ws-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const screen = [{ x: 0, y: 0, width: 1920, height: 1080 }];

describe('WindowStateStore', () => {
  it('returns defaults when nothing was saved', () => {
    expect(new WindowStateStore(dir).load(screen)).toEqual(DEFAULT_WINDOW_STATE);
  });

  it('round-trips a saved state', () => {
    const store = new WindowStateStore(dir);
    store.save({ x: 10, y: 20, width: 1000, height: 700, maximized: true });
    expect(store.load(screen)).toEqual({ x: 10, y: 20, width: 1000, height: 700, maximized: true });
    expect(JSON.parse(readFileSync(store.file, 'utf8'))).toMatchObject({ width: 1000 });
  });

  it.each([
    ['not JSON', '{oops'],
    ['a too-small window', JSON.stringify({ width: 10, height: 10 })],
    ['wrong types', JSON.stringify({ width: '1000', height: 700 })],
  ])('uses defaults for %s', (_n, content) => {
    const store = new WindowStateStore(dir);
    writeFileSync(store.file, content);
    expect(store.load(screen)).toEqual(DEFAULT_WINDOW_STATE);
  });

  it('drops a position that is on no display but keeps the size', () => {
    const store = new WindowStateStore(dir);
    store.save({ x: 5000, y: 5000, width: 900, height: 600, maximized: false });
    expect(store.load(screen)).toEqual({ width: 900, height: 600, maximized: false });
  });

  it('refuses to save an invalid state', () => {
    expect(() => new WindowStateStore(dir).save({ width: 1, height: 1, maximized: false })).toThrow();
  });
});
