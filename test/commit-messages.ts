/**
 * The commit-message house rule (DEVELOPERS.md) as a function of the history: a subject is at most
 * 72 characters, and a commit that is not a merge explains its why in a body.
 */
import { execFileSync } from 'node:child_process';

export const MAX_SUBJECT = 72;

/** The last commit before the rule was checked: older history is not held to it. */
export const RULE_BASE = '73da686662eb8f79d5586198365752520d85d925';

/** Commits merged after RULE_BASE but before the check reached main; history is not rewritten. */
export const GRANDFATHERED = new Set([
  '7bf07115c7dfc819bf05f312435d6c95de986785', // connections: move the connection manager … (77)
  'f0efded81f5bfd752b663c485094b54655da8fd6', // Merge core-seams: VelociraptorService … (73)
  'e29bf27cbbf65d4dbb1bc47b1fbfcfd72d394c3f', // deploy: SecretStore from credentials/ … (no body)
  '4dd505491b7dd08b381bf5918e012adf153a9091', // Merge security: lexer, gate, … (74)
  '1351da5f6be106277ed467bff4df2ea1565ab4fa', // Merge real-server: recorder, … (78)
  '25ff3c507732f283b99c1b86148e477a43c93b24', // The assistant policy is signed by the app; … (75)
  '7c931242e0515dd3e689239906fae96813d9fc55', // bench/README: jsonl CPU before and after … (no body)
  '0402bf7a112c8bcd21a3d5f06b0ca4632b81b433', // bench/real: megaraptor vql and MCP against pyvelociraptor … (74)
  '0739f58a0390467c8187da62fbc0a64c20b6cee0', // Merge main (core-seams servers seam, …) into security (75)
  'da6274ddd7bc3c827c4333ce7b472ca7cf686df7', // Merge core-seams: approvals show everything … (75)
  '771994d029c6641cfc4dde7a92975f85d6cc6894', // deploy/ssh: reach credentials through its index (no body)
  '9048e6e307a565545f22d5f032dd2e234572808d', // Fix the merge of main: sim drop-in mode … (75)
  '23cb5c4f74da8db31a11c4c42614938faced89ec', // deploy/runner: one step context base for deploy and operate … (no body)
  'b2f02bde7829864df3f3036e905b8ca5a7f46a6c', // Screenshot of the quarantine plan after merging main … (no body)
  'b64d71b70fff591c3733ae7c262c67af9c82605d', // Simulator README: server collection timing and instantServer … (no body)
  '2a416bbe73c2ebb92b30f7de684f25b3fa9e9b3b', // Conformance page: 28/28 again with the wait fix and N6 … (no body)
  'a28c5591b4766734e73f4c70d14c75a1de2e9990', // README: 41 MCP tools in the app, 35 over stdio (no deploymen … (no body)
  'f97412d5c5e05f59c2e2d809f8e8edf93a1ea1bb', // Screenshots from the e2e runs of this branch … (no body)
]);

export interface Commit {
  hash: string;
  subject: string;
  body: string;
  merge: boolean;
}

export function problems(commits: readonly Commit[]): string[] {
  const out: string[] = [];
  for (const c of commits) {
    if (GRANDFATHERED.has(c.hash)) continue;
    const short = c.hash.slice(0, 10);
    const length = [...c.subject].length;
    if (length > MAX_SUBJECT)
      out.push(`${short}: the subject has ${length} characters (at most ${MAX_SUBJECT}): ${c.subject}`);
    if (!c.merge && c.body.trim() === '') out.push(`${short}: no body says why: ${c.subject}`);
  }
  return out;
}

function git(cwd: string, args: string[], input?: string): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    ...(input === undefined ? {} : { input }),
  });
}

/**
 * Which commits are merges, from the commit objects themselves: at the edge of a shallow clone
 * `git log` shows a commit without its parents, but the object still lists them.
 */
function merges(cwd: string, hashes: readonly string[]): Set<string> {
  const raw = git(cwd, ['cat-file', '--batch'], hashes.join('\n') + '\n');
  const found = new Set<string>();
  for (const hash of hashes) {
    const start = raw.indexOf(`${hash} commit `);
    const header = raw.slice(start, raw.indexOf('\n\n', start));
    if ((header.match(/^parent /gm) ?? []).length > 1) found.add(hash);
  }
  return found;
}

/**
 * The commits of HEAD after RULE_BASE. A shallow clone that lacks RULE_BASE has only commits newer
 * than it, so all of them are checked; one that lacks even some of those checks what it has.
 */
export function commitsSinceRule(cwd: string): Commit[] {
  let haveBase = true;
  try {
    git(cwd, ['cat-file', '-e', `${RULE_BASE}^{commit}`]);
  } catch {
    haveBase = false;
  }
  const range = haveBase ? ['HEAD', `^${RULE_BASE}`] : ['HEAD'];
  const out = git(cwd, ['log', '--format=%H%x1f%s%x1f%b%x1e', ...range]);
  const records = out
    .split('\x1e')
    .map((r) => r.replace(/^\n/, ''))
    .filter((r) => r.length > 0)
    .map((r) => {
      const [hash = '', subject = '', body = ''] = r.split('\x1f');
      return { hash, subject, body };
    });
  const merged = merges(
    cwd,
    records.map((r) => r.hash),
  );
  return records.map((r) => ({ ...r, merge: merged.has(r.hash) }));
}
