/** A small Go fmt.Sprintf for VQL's format(): verbs %v %s %d %x %X %f %q %T %%, with flags, width and precision. */
import { isNull, toJson, toText } from './values';

export function goSprintf(format: string, args: unknown[]): string {
  let argIndex = 0;
  return format.replace(
    /%([-+# 0]*)(\d+)?(?:\.(\d+))?([vsdxXfgeqT%])/g,
    (_m, flags: string, width: string | undefined, precision: string | undefined, verb: string) => {
      if (verb === '%') return '%';
      if (argIndex >= args.length) return `%!${verb}(MISSING)`;
      const arg = args[argIndex++];
      let text: string;
      switch (verb) {
        case 'd':
          text = typeof arg === 'number' ? String(Math.trunc(arg)) : `%!d(${goTypeName(arg)}=${toText(arg)})`;
          break;
        case 'x':
        case 'X': {
          if (typeof arg === 'number') text = Math.trunc(arg).toString(16);
          else text = Buffer.from(toText(arg), 'utf8').toString('hex');
          if (verb === 'X') text = text.toUpperCase();
          break;
        }
        case 'f':
        case 'g':
        case 'e':
          if (typeof arg !== 'number') text = `%!${verb}(${goTypeName(arg)}=${toText(arg)})`;
          else if (verb === 'e') text = arg.toExponential(precision === undefined ? 6 : Number(precision));
          else if (verb === 'g')
            text = precision === undefined ? String(arg) : arg.toPrecision(Number(precision));
          else text = arg.toFixed(precision === undefined ? 6 : Number(precision));
          break;
        case 'q':
          text = JSON.stringify(toText(arg));
          break;
        case 'T':
          text = goTypeName(arg);
          break;
        default:
          text = isNull(arg)
            ? '<nil>'
            : typeof arg === 'object' && !(arg instanceof Date) && 'toJSON' in (arg as object)
              ? toText(arg)
              : typeof arg === 'object'
                ? toJson(arg)
                : toText(arg);
          if (precision !== undefined && verb === 's') text = text.slice(0, Number(precision));
      }
      const w = width === undefined ? 0 : Number(width);
      if (text.length < w) {
        if (flags.includes('-')) text = text.padEnd(w, ' ');
        else if (flags.includes('0') && /^[-\d.]/.test(text)) {
          const neg = text.startsWith('-');
          text = (neg ? '-' : '') + text.slice(neg ? 1 : 0).padStart(w - (neg ? 1 : 0), '0');
        } else text = text.padStart(w, ' ');
      }
      return text;
    },
  );
}

function goTypeName(v: unknown): string {
  if (isNull(v)) return '<nil>';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64';
  if (Array.isArray(v)) return '[]interface {}';
  return '*ordereddict.Dict';
}
