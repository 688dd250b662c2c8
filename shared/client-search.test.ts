import { describe, expect, it } from 'vitest';
import { parseClientQuery } from './client-search';

describe('client search', () => {
  it('keeps what Velociraptor understands and takes os: for the app', () => {
    expect(parseClientQuery('label:web')).toEqual({ search: 'label:web' });
    expect(parseClientQuery('os:windows')).toEqual({ search: 'all', os: 'windows' });
    expect(parseClientQuery('os:macOS label:finance')).toEqual({ search: 'label:finance', os: 'darwin' });
    expect(parseClientQuery('  wks-fin os:linux ')).toEqual({ search: 'wks-fin', os: 'linux' });
    expect(parseClientQuery('')).toEqual({ search: 'all' });
  });

  it('looks a bare client id up as client:', () => {
    expect(parseClientQuery('C.1234abcd5678ef90')).toEqual({ search: 'client:C.1234abcd5678ef90' });
    expect(parseClientQuery('client:C.1234')).toEqual({ search: 'client:C.1234' });
  });

  it('names what os: takes', () => {
    expect(() => parseClientQuery('os:beos')).toThrow(
      'os: takes windows, linux or darwin (macos), not "beos".',
    );
  });
});
