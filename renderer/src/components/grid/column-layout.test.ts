import { describe, expect, it } from 'vitest';
import { arrangeColumns, EMPTY_LAYOUT, loadLayout, moveColumn, saveLayout } from './column-layout';

function memoryStorage(): Storage {
  const m = new Map<string, string>();
  return {
    get length() {
      return m.size;
    },
    clear: () => m.clear(),
    getItem: (k) => m.get(k) ?? null,
    key: (i) => [...m.keys()][i] ?? null,
    removeItem: (k) => void m.delete(k),
    setItem: (k, v) => void m.set(k, v),
  };
}

describe('column layout', () => {
  it('is remembered per key and read back; a damaged entry reads as no layout', () => {
    const s = memoryStorage();
    const layout = { order: ['Name', 'Pid'], widths: { Name: 300 }, hidden: ['Ppid'], wrap: true };
    saveLayout('Windows.System.Pslist', layout, s);
    expect(loadLayout('Windows.System.Pslist', s)).toEqual(layout);
    expect(loadLayout('Linux.Sys.Pslist', s)).toEqual(EMPTY_LAYOUT);
    s.setItem('megaraptor.grid.bad', '{nope');
    expect(loadLayout('bad', s)).toEqual(EMPTY_LAYOUT);
    expect(loadLayout(undefined, s)).toEqual(EMPTY_LAYOUT);
  });

  it('keeps the saved order for the columns a result has and appends new ones', () => {
    const layout = { ...EMPTY_LAYOUT, order: ['CommandLine', 'Gone', 'Pid'] };
    expect(arrangeColumns(['Pid', 'Name', 'CommandLine', 'New'], layout)).toEqual([
      'CommandLine',
      'Pid',
      'Name',
      'New',
    ]);
  });

  it('puts the lead columns first when nothing was saved (a hunt leads with the host)', () => {
    expect(arrangeColumns(['Pid', 'Name', 'ClientId', 'Fqdn'], EMPTY_LAYOUT, ['Fqdn', 'ClientId'])).toEqual([
      'Fqdn',
      'ClientId',
      'Pid',
      'Name',
    ]);
  });

  it('moves a column before another, or to the end', () => {
    expect(moveColumn(['a', 'b', 'c', 'd'], 'd', 'b')).toEqual(['a', 'd', 'b', 'c']);
    expect(moveColumn(['a', 'b', 'c'], 'a', null)).toEqual(['b', 'c', 'a']);
  });
});
