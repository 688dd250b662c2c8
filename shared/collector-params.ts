/**
 * An offline collector's artifact parameters as the responder writes them: the CLI's
 * `--param ARTIFACT.NAME=VALUE` and the kits page's rows (artifact, name, value) come to the same
 * `{ artifact: { name: value } }` by the same rules — the name has no `.` or `=` (the CLI splits at
 * the last dot), the artifact is one the collector collects, and a name is given once per artifact.
 */

export interface ParamRow {
  artifact: string;
  name: string;
  value: string;
}

/** `ARTIFACT.NAME=VALUE` as a row, or null when it is not of that form. */
export function parseParamAssignment(text: string): ParamRow | null {
  const m = /^(.+)\.([^.=]+)=(.*)$/s.exec(text);
  return m ? { artifact: m[1]!, name: m[2]!, value: m[3]! } : null;
}

/** What is wrong with a row, or null. `artifacts`: the collected ones, when known. */
export function paramRowProblem(row: ParamRow, artifacts?: readonly string[]): string | null {
  if (!row.artifact.trim()) return 'Choose the artifact the parameter belongs to.';
  if (artifacts && !artifacts.includes(row.artifact)) return `${row.artifact} is not collected.`;
  if (!row.name.trim()) return 'Give the parameter name.';
  if (/[.=]/.test(row.name) || row.name !== row.name.trim())
    return `"${row.name}" is not a parameter name (no ".", "=" or surrounding spaces).`;
  return null;
}

/** The rows as the spec's parameters, with each row's problem (by index) when there is one. */
export function paramsFromRows(
  rows: readonly ParamRow[],
  artifacts?: readonly string[],
): {
  parameters: Record<string, Record<string, string>>;
  problems: Array<{ index: number; message: string }>;
} {
  const parameters: Record<string, Record<string, string>> = {};
  const problems: Array<{ index: number; message: string }> = [];
  rows.forEach((row, index) => {
    const problem = paramRowProblem(row, artifacts);
    if (problem) return problems.push({ index, message: problem });
    const forArtifact = (parameters[row.artifact] ??= {});
    if (row.name in forArtifact)
      return problems.push({ index, message: `${row.artifact}.${row.name} is given twice.` });
    forArtifact[row.name] = row.value;
  });
  return { parameters, problems };
}
