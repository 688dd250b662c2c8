/** The syntax tree of the VQL subset the simulator understands (see parser.ts for the grammar). */
export interface Arg {
  name: string;
  value: Expr;
}

export type Expr =
  | { kind: 'literal'; id: number; value: string | number | boolean | null }
  | { kind: 'symbol'; id: number; name: string }
  | { kind: 'call'; id: number; name: string; args: Arg[] }
  | { kind: 'member'; id: number; object: Expr; property: string }
  | { kind: 'index'; id: number; object: Expr; index: Expr }
  | { kind: 'list'; id: number; items: Expr[] }
  | { kind: 'unary'; id: number; op: 'NOT' | '-'; operand: Expr }
  | { kind: 'binary'; id: number; op: BinaryOp; left: Expr; right: Expr }
  | { kind: 'subquery'; id: number; query: SelectStatement };

export type BinaryOp =
  'AND' | 'OR' | '=' | '!=' | '<' | '>' | '<=' | '>=' | '=~' | 'IN' | '+' | '-' | '*' | '/';

export interface Column {
  /** null for `*`. */
  expr: Expr | null;
  alias: string | null;
  /** The column name as Velociraptor prints it when there is no alias (the expression's source text). */
  text: string;
}

export interface SelectStatement {
  kind: 'select';
  columns: Column[];
  from: { name: string; args: Arg[] | null } | null;
  where: Expr | null;
  groupBy: Expr[];
  orderBy: { column: string; desc: boolean } | null;
  limit: number | null;
}

export interface LetStatement {
  kind: 'let';
  name: string;
  params: string[] | null;
  materialise: boolean;
  value: SelectStatement | Expr;
}

export type Statement = SelectStatement | LetStatement;
