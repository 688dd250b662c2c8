import { describe, expect, it } from 'vitest';
import { checkGlob, checkLimits, checkParameter, checkParameters, checkRegex } from './params';

describe('regex parameters (RE2, as Velociraptor compiles them)', () => {
  it('accepts RE2 syntax, including what JavaScript spells differently', () => {
    for (const ok of [
      'svchost\\.exe',
      '(?i)powershell|pwsh',
      '(?P<user>\\w+)@corp',
      '\\Astart\\z',
      '[[:alpha:]]+',
      '\\pL+',
      '(?i:cmd)\\.exe',
      '^C:\\\\Windows\\\\',
      'a{2,1000}',
      '.',
    ])
      expect(checkRegex(ok), ok).toBeNull();
  });

  it('marks what RE2 refuses, by name, and plain syntax errors', () => {
    expect(checkRegex('foo(?=bar)')).toMatch(/lookahead/);
    expect(checkRegex('(?<!x)y')).toMatch(/lookbehind/);
    expect(checkRegex('(a)\\1')).toMatch(/backreferences/);
    expect(checkRegex('(?>a+)')).toMatch(/atomic/);
    expect(checkRegex('a++')).toMatch(/possessive/);
    expect(checkRegex('a{1001}')).toMatch(/above 1000/);
    expect(checkRegex('(unclosed')).toMatch(/^Not a valid regex/);
    expect(checkRegex('*star')).toMatch(/^Not a valid regex/);
    expect(checkRegex('[z-a]')).toMatch(/^Not a valid regex/);
  });
});

describe('parameters by declared type', () => {
  const def = (type: string, d = '', choices?: string[]) => ({ name: 'P', type, default: d, choices });
  it('checks numbers, booleans, times, choices, JSON and regexes', () => {
    expect(checkParameter(def('int'), '42')).toBeNull();
    expect(checkParameter(def('int'), '4.2')).toBe('Enter a whole number.');
    expect(checkParameter(def('uint64'), '-1')).toMatch(/0 or more/);
    expect(checkParameter(def('float'), 'x')).toBe('Enter a number.');
    expect(checkParameter(def('bool'), 'maybe')).toBe('Enter Y or N.');
    expect(checkParameter(def('timestamp'), 'yesterday')).toMatch(/date and time/);
    expect(checkParameter(def('choices', 'a', ['a', 'b']), 'c')).toBe('Choose one of: a, b.');
    expect(checkParameter(def('json'), '{"a":')).toBe('Not valid JSON.');
    expect(checkParameter(def('regex'), '(?=x)')).toMatch(/RE2/);
  });
  it('requires a value where the artifact has one by default and an empty one would be misread', () => {
    expect(checkParameter(def('int', '100'), '')).toBe("Required: the artifact's default is 100.");
    expect(checkParameter(def('int', ''), '')).toBeNull();
    expect(checkParameter(def('string', 'x'), '')).toBeNull();
  });
  it('checks globs, one per line, in parameters named for globs', () => {
    expect(
      checkParameter({ name: 'TargetGlob', type: 'string', default: '' }, 'C:\\Users\\*\\{a,b}\\**'),
    ).toBeNull();
    expect(checkParameter({ name: 'Globs', type: 'string', default: '' }, '/etc/*\n/home/{x')).toMatch(
      /unclosed \{/,
    );
    expect(checkGlob('/tmp/[abc')).toMatch(/unclosed \[/);
    expect(checkGlob('a}')).toMatch(/without its \{/);
  });
  it('names unknown artifacts and parameters (Velociraptor would silently ignore a typo)', () => {
    const defs = new Map([
      ['Windows.System.Pslist', [{ name: 'ProcessRegex', type: 'regex', default: '.' }]],
    ]);
    expect(
      checkParameters(defs, {
        'Windows.System.Pslist': { ProcessRegx: 'x', ProcessRegex: '(?=x)' },
        'No.Such': { a: '1' },
      }),
    ).toEqual([
      {
        artifact: 'Windows.System.Pslist',
        parameter: 'ProcessRegx',
        message: 'Windows.System.Pslist has no parameter ProcessRegx (it has ProcessRegex).',
      },
      {
        artifact: 'Windows.System.Pslist',
        parameter: 'ProcessRegex',
        message: expect.stringMatching(/lookahead/),
      },
      { artifact: 'No.Such', parameter: '', message: 'There is no artifact No.Such on this server.' },
    ]);
  });
});

describe('resource limits', () => {
  it('reports out-of-range limits instead of clamping them', () => {
    expect(checkLimits({ cpuLimit: 150 })).toEqual({
      cpuLimit: 'The CPU limit (percent) must be between 0 and 100.',
    });
    expect(checkLimits({ cpuLimit: 50, timeoutSeconds: 600, maxRows: 10 })).toEqual({});
    expect(checkLimits({ maxRows: 1.5, timeoutSeconds: 0 })).toEqual({
      maxRows: 'Max rows must be a whole number.',
      timeoutSeconds: 'The timeout (seconds) must be between 1 and 604,800.',
    });
  });
});
