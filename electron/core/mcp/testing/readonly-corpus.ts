/**
 * The read-only bypass corpus: queries an assistant could send with read_only=true, each with the
 * engine rule (Velociraptor's vfilter, 0.75–0.77) that decides what it really runs, and whether
 * the gate must refuse it. Used twice: on the gate's verdict (vql-readonly.test.ts) and end to end
 * through the MCP run_vql tool against the simulator, on what reaches the server
 * (vql-readonly.sim.test.ts): a refused query never arrives, an allowed one arrives verbatim.
 */
export interface CorpusCase {
  name: string;
  query: string;
  env?: Record<string, string>;
  verdict: 'allowed' | 'refused';
  /** The engine fact the case exercises. */
  rule: string;
}

const BUILTIN_WINS =
  'a built-in plugin/function wins over a LET of the same name (vfilter resolveSymbol/getFunction)';
const LET_LATER = 'a lazy LET body resolves its names when it runs, so a LET may come after its use';
const NEGATED = 'the lexer reads -name as a negated symbol: -f(…) calls f';
const BACKTICK = 'backticks quote a name: `f`(…) calls f';
const DASH_COMMENT = 'a -- or // comment may start at any token, not only at a line start';
const LAMBDA = 'arguments typed vfilter.Lambda (or parsed with ParseLambda) compile strings as VQL';
const FILES = 'file-reading plugins read the server file system (FILESYSTEM_READ)';
const ARTIFACT = 'the Artifact variable runs artifacts: Artifact.X() or any dotted plugin name';
const REFLECT = 'the scope is reachable as a value; a computed key on it reaches Artifact';
/** Run on Velociraptor 0.77.2: this runs the artifact Generic.Client.Info. */
const REFLECT_REAL = `${REFLECT} (a materialized LET of get(member='Artifact.X') is a callable plugin)`;
const STRING_ARG = 'a string given where a query is expected becomes a {_value: …} row, never VQL';
const EXISTS = 'names are case-sensitive and must exist: anything else is a variable lookup';
const WRITE = 'functions that change state are not on the allow-list';

export const READ_ONLY_CORPUS: CorpusCase[] = [
  // ---- allowed: plain reads, and look-alikes the engine runs harmlessly ----
  { name: 'clients', query: 'SELECT * FROM clients()', verdict: 'allowed', rule: 'read-only plugin' },
  {
    name: 'search with env',
    query:
      'SELECT client_id, os_info.hostname AS Host FROM clients(search=Q) WHERE last_seen_at > 0 LIMIT 10',
    env: { Q: 'host:' },
    verdict: 'allowed',
    rule: 'values through env',
  },
  {
    name: 'foreach over a LET',
    query:
      'LET c = SELECT client_id FROM clients() SELECT * FROM foreach(row=c, query={ SELECT * FROM flows(client_id=client_id) })',
    verdict: 'allowed',
    rule: 'subqueries are checked where they are written',
  },
  {
    name: 'LET after its use',
    query: 'LET a = SELECT * FROM b() LET b = SELECT * FROM hunts() SELECT * FROM a',
    verdict: 'allowed',
    rule: LET_LATER,
  },
  {
    name: 'LET with a parameter',
    query:
      'LET recent(days) = SELECT * FROM hunts() WHERE create_time > now() - days * 86400 SELECT * FROM recent(days=3)',
    verdict: 'allowed',
    rule: 'a LET parameter is a variable',
  },
  {
    name: 'LET named like a built-in, used without parentheses',
    query: 'LET clients = SELECT * FROM hunts() SELECT * FROM clients',
    verdict: 'allowed',
    rule: 'FROM name without parentheses reads the variable',
  },
  {
    name: 'aggregates and formatting',
    query: "SELECT count() AS N, format(format='%v', args=[state]) AS S FROM hunts() GROUP BY state",
    verdict: 'allowed',
    rule: 'read-only functions',
  },
  {
    name: 'comment mid-line',
    query: 'SELECT * FROM clients() -- the rest of this line is a comment',
    verdict: 'allowed',
    rule: DASH_COMMENT,
  },
  {
    name: 'escaped quote keeps the string whole',
    query: "SELECT * FROM clients(search='\\' , x=execve(argv=[\"id\"]) , y=\\'')",
    verdict: 'allowed',
    rule: 'a backslash escapes any character inside a string',
  },
  {
    name: 'raw string',
    query: "SELECT * FROM clients() WHERE os_info.hostname =~ '''it's raw'''",
    verdict: 'allowed',
    rule: "'''raw''' strings",
  },
  {
    name: 'string where a query is expected',
    query: 'SELECT * FROM if(condition=TRUE, then=\'SELECT * FROM execve(argv=["id"])\')',
    verdict: 'allowed',
    rule: STRING_ARG,
  },
  {
    name: 'string as foreach query',
    query:
      'SELECT * FROM foreach(row={SELECT * FROM scope()}, query=\'SELECT hunt_update(hunt_id="H.1", start=TRUE) FROM scope()\')',
    verdict: 'allowed',
    rule: STRING_ARG,
  },
  {
    name: 'regex_replace without a lambda',
    query: "SELECT regex_replace(source=Name, re='a', replace='b') AS N FROM artifact_definitions()",
    verdict: 'allowed',
    rule: 'only replace_lambda is compiled',
  },
  {
    name: 'filter by regex',
    query: "SELECT filter(list=['a', 'b'], regex='a') AS F FROM scope()",
    verdict: 'allowed',
    rule: 'only condition is compiled',
  },
  {
    name: 'get with a literal key',
    query: "SELECT get(item=dict(a=1), field='a') AS A FROM scope()",
    verdict: 'allowed',
    rule: 'a literal, non-reflective key',
  },
  {
    name: 'alias of a function name',
    query: "LET f = collect_client SELECT f(client_id='C.1') AS X FROM scope()",
    verdict: 'allowed',
    rule: 'a bare name is a variable (null here), never a function value',
  },

  // ---- refused ----
  {
    name: 'direct write',
    query: "SELECT collect_client(client_id='C.1', artifacts='Windows.Remediation.Quarantine') FROM scope()",
    verdict: 'refused',
    rule: WRITE,
  },
  {
    name: 'label in WHERE',
    query: "SELECT * FROM clients() WHERE label(client_id=client_id, labels=['x'], op='set')",
    verdict: 'refused',
    rule: WRITE,
  },
  {
    name: 'LET label shadows nothing',
    query:
      "LET label = SELECT * FROM scope() SELECT label(client_id='C.1', labels=['pwned'], op='set') AS L FROM scope()",
    verdict: 'refused',
    rule: BUILTIN_WINS,
  },
  {
    name: 'LET execve shadows nothing',
    query: "LET execve = SELECT * FROM scope() SELECT * FROM execve(argv=['id'])",
    verdict: 'refused',
    rule: BUILTIN_WINS,
  },
  {
    name: 'LET hunt shadows nothing',
    query: "LET hunt = SELECT 1 FROM scope() SELECT hunt(artifacts='Generic.Client.Info') FROM scope()",
    verdict: 'refused',
    rule: BUILTIN_WINS,
  },
  {
    name: 'LET body',
    query:
      "LET x = SELECT hunt(artifacts='Windows.System.Pslist', description='d') FROM scope() SELECT * FROM x",
    verdict: 'refused',
    rule: 'every LET body is checked',
  },
  {
    name: 'LET defined after its use',
    query:
      "LET a = SELECT * FROM b() SELECT * FROM a LET b = SELECT label(client_id='C.1', labels=['x'], op='set') FROM scope()",
    verdict: 'refused',
    rule: LET_LATER,
  },
  {
    name: 'LET shadowing an allowed name',
    query:
      "LET count = SELECT cancel_flow(client_id='C.1', flow_id='F.1') FROM scope() SELECT * FROM count()",
    verdict: 'refused',
    rule: 'every LET body is checked',
  },
  {
    name: 'LET function body',
    query: "LET f(x) = label(client_id=x, labels=['x'], op='set') SELECT f(x='C.1') FROM scope()",
    verdict: 'refused',
    rule: 'every LET body is checked',
  },
  {
    name: 'LET parameter default',
    query: "LET f(x=label(client_id='C.1', labels=['x'], op='set')) = x SELECT f() FROM scope()",
    verdict: 'refused',
    rule: 'parameter defaults are expressions',
  },
  {
    name: 'negated call',
    query: "SELECT -label(client_id='C.1', labels=['x'], op='set') AS L FROM scope()",
    verdict: 'refused',
    rule: NEGATED,
  },
  {
    name: 'negated backtick call',
    query: "SELECT -`label`(client_id='C.1', labels=['x'], op='set') AS L FROM scope()",
    verdict: 'refused',
    rule: NEGATED,
  },
  {
    name: 'backtick call',
    query: "SELECT `collect_client`(client_id='C.1', artifacts='X') FROM scope()",
    verdict: 'refused',
    rule: BACKTICK,
  },
  {
    name: 'backtick plugin',
    query: "SELECT * FROM `execve`(argv=['id'])",
    verdict: 'refused',
    rule: BACKTICK,
  },
  {
    name: 'call after a mid-line comment',
    query: "SELECT client_id -- '\n, label(client_id=client_id, labels=['x'], op='set') AS L FROM clients()",
    verdict: 'refused',
    rule: DASH_COMMENT,
  },
  {
    name: 'comment hides a quote',
    query: "// it's\nSELECT collect_client(client_id='C.1') FROM scope() // '",
    verdict: 'refused',
    rule: DASH_COMMENT,
  },
  {
    name: 'block comment',
    query: "/* ' */ SELECT * FROM execve(argv=['id']) /* ' */",
    verdict: 'refused',
    rule: 'block comments are dropped',
  },
  {
    name: 'filter condition lambda',
    query:
      'SELECT filter(list=[\'C.1\'], condition=\'x=>label(client_id=x, labels=["x"], op="set")\') FROM scope()',
    verdict: 'refused',
    rule: LAMBDA,
  },
  {
    name: 'filter condition from an env value',
    query: 'SELECT filter(list=[1], condition=L) FROM scope()',
    env: { L: "x=>label(client_id='C.1', labels=['x'], op='set')" },
    verdict: 'refused',
    rule: LAMBDA,
  },
  {
    name: 'regex_replace lambda',
    query:
      "SELECT regex_replace(source='C.1', re='.+', replace_lambda='x=>label(client_id=x, labels=[\"x\"], op=\"set\")') FROM scope()",
    verdict: 'refused',
    rule: LAMBDA,
  },
  {
    name: 'eval',
    query: 'SELECT eval(func=\'x=>execve(argv=["id"])\') FROM scope()',
    verdict: 'refused',
    rule: LAMBDA,
  },
  {
    name: 'cache lambda',
    query: "SELECT cache(key='k', lambda='x=>execve(argv=[\"id\"])') FROM scope()",
    verdict: 'refused',
    rule: LAMBDA,
  },
  {
    name: 'query() string',
    query:
      "SELECT * FROM query(query=\"SELECT collect_client(client_id='C.1', artifacts='X') FROM scope()\")",
    verdict: 'refused',
    rule: 'query() compiles its string',
  },
  {
    name: 'artifact plugin',
    query: 'SELECT * FROM Artifact.Windows.Remediation.Quarantine()',
    verdict: 'refused',
    rule: ARTIFACT,
  },
  {
    name: 'artifact without parentheses',
    query: 'SELECT * FROM Artifact.Generic.Client.Info',
    verdict: 'refused',
    rule: ARTIFACT,
  },
  {
    name: 'artifact in lower case',
    query: 'SELECT * FROM artifact.Windows.System.Pslist()',
    verdict: 'refused',
    rule: ARTIFACT,
  },
  {
    name: 'artifact through get()',
    query: "LET p <= get(member='Artifact.Windows.System.Pslist') SELECT * FROM p()",
    verdict: 'refused',
    rule: REFLECT_REAL,
  },
  {
    name: 'artifact through a scope row',
    query:
      "LET s <= SELECT * FROM scope() LET p <= get(item=s[0], field='Artifact') SELECT * FROM p.Generic.Client.Info()",
    verdict: 'refused',
    rule: REFLECT,
  },
  {
    name: 'artifact through a computed key',
    query:
      "LET s <= SELECT * FROM scope() LET p <= get(item=s[0], field=format(format='%sifact', args='Art')) SELECT * FROM foreach(row={SELECT 1 FROM scope()}, query={SELECT * FROM p()})",
    verdict: 'refused',
    rule: REFLECT,
  },
  {
    name: 'computed index',
    query: "LET s <= SELECT * FROM scope() SELECT s[0]['Art' + 'ifact'] AS A FROM scope()",
    verdict: 'refused',
    rule: REFLECT,
  },
  {
    name: 'scope() function',
    query: "SELECT get(item=scope(), field='config') AS C FROM scope()",
    verdict: 'refused',
    rule: REFLECT,
  },
  {
    name: 'hidden $root variable',
    query: 'SELECT `$root` AS R FROM scope()',
    verdict: 'refused',
    rule: REFLECT,
  },
  {
    name: 'foreach computed column',
    query: "SELECT * FROM foreach(row={SELECT * FROM scope()}, column=upcase(string='x'))",
    verdict: 'refused',
    rule: REFLECT,
  },
  {
    name: 'split_records reads files',
    query: "SELECT * FROM split_records(filenames='/etc/passwd', regex=':')",
    verdict: 'refused',
    rule: FILES,
  },
  {
    name: 'parse_records_with_regex reads files',
    query: "SELECT * FROM parse_records_with_regex(file='/etc/shadow', regex='(?P<x>.+)')",
    verdict: 'refused',
    rule: FILES,
  },
  {
    name: 'read_file',
    query: "SELECT * FROM read_file(filenames='/etc/passwd')",
    verdict: 'refused',
    rule: FILES,
  },
  {
    name: 'unzip writes files',
    query: "SELECT * FROM unzip(filename='/tmp/x.zip', output_directory='/tmp/x')",
    verdict: 'refused',
    rule: 'unzip is FILESYSTEM_WRITE',
  },
  { name: 'execve', query: "SELECT * FROM execve(argv=['id'])", verdict: 'refused', rule: WRITE },
  {
    name: 'starlark',
    query: "SELECT starl(code='def f(): pass') FROM scope()",
    verdict: 'refused',
    rule: 'starl runs code',
  },
  {
    name: 'set on the scope',
    query: "SELECT set(item=dict(), field='a', value=1) FROM scope()",
    verdict: 'refused',
    rule: WRITE,
  },
  {
    name: 'user_create',
    query: "SELECT user_create(user='x', roles=['administrator'], password='p') FROM scope()",
    verdict: 'refused',
    rule: WRITE,
  },
  {
    name: 'artifact_set',
    query: "SELECT artifact_set(definition='name: X') FROM scope()",
    verdict: 'refused',
    rule: WRITE,
  },
  {
    name: 'upper case is another name',
    query: "SELECT COLLECT_CLIENT(client_id='C.1') FROM scope()",
    verdict: 'refused',
    rule: EXISTS,
  },
  {
    name: 'unknown dotted call',
    query: 'SELECT * FROM server.collect_client()',
    verdict: 'refused',
    rule: EXISTS,
  },
  {
    name: 'function in plugin position',
    query: 'SELECT * FROM len(list=[1])',
    verdict: 'refused',
    rule: EXISTS,
  },
  {
    name: 'unterminated string',
    query: "SELECT * FROM clients(search='x)",
    verdict: 'refused',
    rule: 'the lexer refuses it',
  },
  {
    name: 'semicolon',
    query: 'SELECT * FROM clients(); SELECT 1 FROM scope()',
    verdict: 'refused',
    rule: 'the lexer refuses it',
  },
  {
    name: 'info() is not a result read',
    query: 'SELECT * FROM info()',
    verdict: 'refused',
    rule: 'MACHINE_STATE, not on the list',
  },
];
