import { describe, expect, it } from 'vitest';
import { fieldFor, fieldsFor, parametersToSend, toWire, validate } from './param-form';

const p = (name: string, type: string, def = '', choices?: string[]) => ({
  name,
  type,
  default: def,
  description: `${name} help`,
  ...(choices ? { choices } : {}),
});

describe('parameter form generator', () => {
  it('maps each declared type to its field kind', () => {
    const kinds = fieldsFor([
      p('a', 'bool'),
      p('b', 'choices', 'x', ['x', 'y']),
      p('c', 'int', '1'),
      p('d', 'timestamp'),
      p('e', 'csv', 'Hash\n'),
      p('f', 'yaml'),
      p('g', 'regex', '.'),
      p('h', 'string'),
      p('i', 'upload'),
    ]).map((f) => f.kind);
    expect(kinds).toEqual(['bool', 'select', 'int', 'timestamp', 'csv', 'multiline', 'text', 'text', 'text']);
  });

  it('reads Velociraptor bool defaults (Y/TRUE/YES/OK, case-insensitive) as checked', () => {
    for (const d of ['Y', 'true', 'Yes', 'OK']) expect(fieldFor(p('a', 'bool', d)).initial).toBe(true);
    for (const d of ['', 'N', 'no', 'false']) expect(fieldFor(p('a', 'bool', d)).initial).toBe(false);
  });

  it('splits a csv default into header columns and body rows', () => {
    const f = fieldFor(p('Hashes', 'csv', 'Hash,Name\nabc,evil\n'));
    expect(f.csvColumns).toEqual(['Hash', 'Name']);
    expect(f.initial).toBe('abc,evil');
    expect(toWire(f, 'abc,evil\n\ndef,bad\n')).toBe('Hash,Name\nabc,evil\ndef,bad\n');
  });

  it('validates ints, timestamps and choices', () => {
    expect(validate(fieldFor(p('n', 'int')), '12')).toBeNull();
    expect(validate(fieldFor(p('n', 'int')), '1.5')).toMatch(/whole number/);
    expect(validate(fieldFor(p('t', 'timestamp')), 'yesterday-ish')).toMatch(/date/);
    expect(validate(fieldFor(p('c', 'choices', 'x', ['x', 'y'])), 'z')).toMatch(/x, y/);
    expect(validate(fieldFor(p('n', 'int')), '')).toBeNull();
  });

  it('sends only changed values, as Velociraptor strings', () => {
    const fields = fieldsFor([
      p('Upload', 'bool', 'N'),
      p('Glob', 'string', '/**'),
      p('After', 'timestamp'),
      p('Acc', 'choices', 'auto', ['auto', 'ntfs']),
    ]);
    expect(parametersToSend(fields, {})).toEqual({});
    expect(
      parametersToSend(fields, {
        Upload: true,
        Glob: '/**',
        After: '2026-08-21T13:00:00+02:00',
        Acc: 'ntfs',
      }),
    ).toEqual({
      Upload: 'Y',
      After: '2026-08-21T11:00:00.000Z',
      Acc: 'ntfs',
    });
  });

  it('refuses an invalid value naming the field', () => {
    expect(() => parametersToSend(fieldsFor([p('Hits', 'int', '1')]), { Hits: 'many' })).toThrow(
      /Hits: Enter a whole number/,
    );
  });
});

describe('checks at the field (the same as MCP tools make)', () => {
  it('marks a regex RE2 refuses, a glob left open, an emptied required number; defaults pass unchecked', () => {
    const rx = fieldFor(p('ProcessRegex', 'regex', '.'));
    expect(validate(rx, 'cmd(?=\\.exe)')).toMatch(/RE2.*lookahead/);
    expect(validate(rx, 'cmd\\.exe')).toBeNull();
    expect(validate(fieldFor(p('TargetGlob', 'string')), 'C:\\Users\\{a,b')).toMatch(/unclosed \{/);
    expect(validate(fieldFor(p('Limit', 'int', '100')), '')).toMatch(/^Required/);
    expect(validate(fieldFor(p('Odd', 'regex', '(?=default)')), '(?=default)')).toBeNull();
    expect(() => parametersToSend([rx], { ProcessRegex: '(a' })).toThrow(/ProcessRegex: Not a valid regex/);
  });
});
