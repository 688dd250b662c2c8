/**
 * A remote command is one string the login shell parses, so every argument is quoted here and nowhere
 * else: `sh(['install', '-m', '0600', src, dest])`. POSIX single quotes make any byte literal except the
 * quote itself, which becomes '\''.
 */
export function quote(arg: string): string {
  if (arg === '') return "''";
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** argv → one command line for `sh -c` / an SSH exec request. */
export function sh(argv: readonly string[]): string {
  return argv.map(quote).join(' ');
}

/** Absolute, normalised, no `..`, no NUL/newline: a path fit for a remote command. */
export function isSafeAbsolutePath(path: string): boolean {
  return (
    path.startsWith('/') &&
    !/[\0\n\r]/.test(path) &&
    !path.split('/').some((seg) => seg === '..' || seg === '.') &&
    !path.includes('//') &&
    (path === '/' || !path.endsWith('/'))
  );
}
