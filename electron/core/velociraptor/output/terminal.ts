/**
 * Text from a server (log lines, result cells) is attacker-controlled: an endpoint can put escape
 * sequences in a file name or a log message that, printed to a terminal, move the cursor, rewrite
 * earlier lines, set the window title or hide text. The CLI removes them before printing (its
 * `--raw` keeps the text as it came). Tabs and newlines stay; everything else a terminal would
 * interpret goes: ESC sequences (CSI, OSC, DCS and two-byte ones), the other C0 controls, DEL and
 * the C1 controls (U+0080–U+009F, which some terminals take as CSI and friends).
 */

// ESC [ … final byte; ESC ] / P / X / ^ / _ … terminated by BEL or ESC \ (or unterminated to the end);
// other ESC sequences (intermediate bytes, then a final byte); the 8-bit CSI (U+009B) form; then any single control left.
const TERMINAL_CONTROLS =
  // eslint-disable-next-line no-control-regex
  /\x1b\[[0-?]*[ -/]*[@-~]?|\x1b[\]PX^_][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[ -/]*[0-~]?|\u009b[0-?]*[ -/]*[@-~]?|[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

export function stripTerminalControls(text: string): string {
  return text.replace(TERMINAL_CONTROLS, '');
}
