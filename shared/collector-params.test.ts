import { describe, expect, it } from 'vitest';
import { paramsFromRows, parseParamAssignment } from './collector-params';

describe('collector parameters', () => {
  it('splits ARTIFACT.NAME=VALUE at the last dot before "=" (artifact names have dots)', () => {
    expect(parseParamAssignment('Windows.KapeFiles.Targets.Device=C:')).toEqual({
      artifact: 'Windows.KapeFiles.Targets',
      name: 'Device',
      value: 'C:',
    });
    expect(parseParamAssignment('A.b=x=y\nz')).toEqual({ artifact: 'A', name: 'b', value: 'x=y\nz' });
    expect(parseParamAssignment('A.b=')).toEqual({ artifact: 'A', name: 'b', value: '' });
    expect(parseParamAssignment('NoDot=1')).toBeNull();
    expect(parseParamAssignment('A.=1')).toBeNull();
  });

  it('rows become the spec parameters; each bad row says why', () => {
    const r = paramsFromRows(
      [
        { artifact: 'Generic.Client.Info', name: 'Verbose', value: 'Y' },
        { artifact: 'Linux.Sys.Users', name: 'UserFile', value: '/etc/passwd' },
        { artifact: 'Windows.Other', name: 'X', value: '1' },
        { artifact: 'Generic.Client.Info', name: 'a.b', value: '1' },
        { artifact: 'Generic.Client.Info', name: '', value: '1' },
        { artifact: '', name: 'N', value: '1' },
        { artifact: 'Generic.Client.Info', name: 'Verbose', value: 'N' },
      ],
      ['Generic.Client.Info', 'Linux.Sys.Users'],
    );
    expect(r.parameters).toEqual({
      'Generic.Client.Info': { Verbose: 'Y' },
      'Linux.Sys.Users': { UserFile: '/etc/passwd' },
    });
    expect(r.problems).toEqual([
      { index: 2, message: 'Windows.Other is not collected.' },
      { index: 3, message: '"a.b" is not a parameter name (no ".", "=" or surrounding spaces).' },
      { index: 4, message: 'Give the parameter name.' },
      { index: 5, message: 'Choose the artifact the parameter belongs to.' },
      { index: 6, message: 'Generic.Client.Info.Verbose is given twice.' },
    ]);
  });
});
