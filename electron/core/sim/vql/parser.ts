/**
 * Recursive-descent parser for the simulator's VQL subset. Grammar (keywords case-insensitive):
 *
 *   program   := statement*
 *   statement := LET name ['(' names ')'] ('=' | '<=') (select | expr) | select
 *   select    := SELECT columns [FROM source] [WHERE expr] [GROUP BY expr,…]
 *                [ORDER BY name [DESC|ASC]] [LIMIT number]   (ASC: the simulator's leniency)
 *   columns   := ('*' | expr [AS name]) (',' …)*
 *   source    := dotted.name ['(' args ')']
 *   args      := name '=' expr (',' …)*
 *   expr      := or; or := and ((OR | '||') and)*; and := not ((AND | '&&') not)*; not := NOT not | cmp
 *   cmp       := add [('='|'!='|'<>'|'<'|'>'|'<='|'>='|'=~'|IN) add]
 *   add       := mul (('+'|'-') mul)*; mul := unary (('*'|'/') unary)*; unary := '-' unary | postfix
 *   postfix   := primary ('.' name | '[' expr ']')*
 *   primary   := number | string | TRUE | FALSE | NULL | ['-']name ['(' args ')'] | '(' expr ')'
 *              | '[' expr,… ']' | '{' select '}'
 *
 * Tokens come from the product's one VQL lexer (shared/vql/lexer), the rules of Velociraptor's own.
 */
import type { Arg, BinaryOp, Column, Expr, SelectStatement, Statement } from './ast';
import {
  lexVql,
  VqlSyntaxError,
  type VqlKeyword,
  type VqlToken as Token,
} from '../../../../shared/vql/lexer';

const COMPARE: Record<string, BinaryOp> = {
  '=': '=',
  '!=': '!=',
  '<>': '!=',
  '<': '<',
  '>': '>',
  '<=': '<=',
  '>=': '>=',
  '=~': '=~',
};

export function parseVql(source: string): Statement[] {
  return new Parser(source).program();
}

class Parser {
  private readonly tokens: Token[];
  private readonly eof: Token;
  private pos = 0;
  private nextId = 1;

  constructor(private readonly source: string) {
    this.tokens = lexVql(source);
    const lines = source.split('\n');
    this.eof = {
      kind: 'op',
      text: '',
      value: '',
      start: source.length,
      end: source.length,
      line: lines.length,
      column: (lines[lines.length - 1]?.length ?? 0) + 1,
    };
  }

  program(): Statement[] {
    const out: Statement[] = [];
    while (!this.atEof()) out.push(this.statement());
    return out;
  }

  private peek(offset = 0): Token {
    return this.tokens[this.pos + offset] ?? this.eof;
  }

  private atEof(): boolean {
    return this.pos >= this.tokens.length;
  }

  private isKeyword(word: VqlKeyword, offset = 0): boolean {
    const t = this.peek(offset);
    return t.kind === 'keyword' && t.value === word;
  }

  /** A plain (unquoted) name the simulator treats as a word, e.g. ASC. */
  private isWord(word: string): boolean {
    const t = this.peek();
    return t.kind === 'ident' && !t.quoted && !t.negated && t.value.toUpperCase() === word;
  }

  private isOp(op: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t !== this.eof && t.kind === 'op' && t.text === op;
  }

  private unexpected(expected?: string): never {
    const t = this.peek();
    const what = t === this.eof ? 'unexpected end of input' : `unexpected token "${t.text}"`;
    throw new VqlSyntaxError(`${what}${expected ? ` (expected ${expected})` : ''}`, t.line, t.column);
  }

  private expectKeyword(word: VqlKeyword): void {
    if (!this.isKeyword(word)) this.unexpected(`"${word}"`);
    this.pos++;
  }

  private expectOp(op: string): void {
    if (!this.isOp(op)) this.unexpected(`"${op}"`);
    this.pos++;
  }

  private name(): string {
    const t = this.peek();
    if (t.kind !== 'ident' || t.negated) this.unexpected('a name');
    this.pos++;
    return t.value;
  }

  private id(): number {
    return this.nextId++;
  }

  private statement(): Statement {
    if (this.isKeyword('LET')) {
      this.pos++;
      const name = this.name();
      let params: string[] | null = null;
      if (this.isOp('(')) {
        this.pos++;
        params = [];
        while (!this.isOp(')')) {
          params.push(this.name());
          if (this.isOp(',')) this.pos++;
          else break;
        }
        this.expectOp(')');
      }
      let materialise = false;
      if (this.isOp('<=')) materialise = true;
      else if (!this.isOp('=')) this.unexpected('"=" or "<="');
      this.pos++;
      const value = this.isKeyword('SELECT') ? this.select() : this.expr();
      return { kind: 'let', name, params, materialise, value };
    }
    if (this.isKeyword('SELECT')) return this.select();
    return this.unexpected('SELECT or LET');
  }

  private select(): SelectStatement {
    this.expectKeyword('SELECT');
    const columns: Column[] = [];
    for (;;) {
      if (this.isOp('*')) {
        this.pos++;
        columns.push({ expr: null, alias: null, text: '*' });
      } else {
        const start = this.peek().start;
        const expr = this.expr();
        const text = this.source.slice(start, this.tokens[this.pos - 1]?.end ?? start).trim();
        let alias: string | null = null;
        if (this.isKeyword('AS')) {
          this.pos++;
          alias = this.name();
        }
        columns.push({ expr, alias, text });
      }
      if (this.isOp(',')) this.pos++;
      else break;
    }
    let from: SelectStatement['from'] = null;
    if (this.isKeyword('FROM')) {
      this.pos++;
      let name = this.name();
      while (this.isOp('.')) {
        this.pos++;
        name += '.' + this.name();
      }
      let args: Arg[] | null = null;
      if (this.isOp('(')) args = this.args();
      from = { name, args };
    }
    let where: Expr | null = null;
    if (this.isKeyword('WHERE')) {
      this.pos++;
      where = this.expr();
    }
    const groupBy: Expr[] = [];
    if (this.isKeyword('GROUP BY')) {
      this.pos++;
      groupBy.push(this.expr());
      while (this.isOp(',')) {
        this.pos++;
        groupBy.push(this.expr());
      }
    }
    let orderBy: SelectStatement['orderBy'] = null;
    if (this.isKeyword('ORDER BY')) {
      this.pos++;
      let column = this.name();
      while (this.isOp('.')) {
        this.pos++;
        column += '.' + this.name();
      }
      let desc = false;
      if (this.isKeyword('DESC')) {
        desc = true;
        this.pos++;
      } else if (this.isWord('ASC')) this.pos++;
      orderBy = { column, desc };
    }
    let limit: number | null = null;
    if (this.isKeyword('LIMIT')) {
      this.pos++;
      const t = this.peek();
      if (t.kind !== 'number') this.unexpected('a number');
      this.pos++;
      limit = Number(t.value);
    }
    return { kind: 'select', columns, from, where, groupBy, orderBy, limit };
  }

  private args(): Arg[] {
    this.expectOp('(');
    const args: Arg[] = [];
    while (!this.isOp(')')) {
      const name = this.name();
      this.expectOp('=');
      args.push({ name, value: this.expr() });
      if (this.isOp(',')) this.pos++;
      else break;
    }
    this.expectOp(')');
    return args;
  }

  private expr(): Expr {
    return this.or();
  }

  private or(): Expr {
    let left = this.and();
    while (this.isKeyword('OR') || this.isOp('||')) {
      this.pos++;
      left = { kind: 'binary', id: this.id(), op: 'OR', left, right: this.and() };
    }
    return left;
  }

  private and(): Expr {
    let left = this.not();
    while (this.isKeyword('AND') || this.isOp('&&')) {
      this.pos++;
      left = { kind: 'binary', id: this.id(), op: 'AND', left, right: this.not() };
    }
    return left;
  }

  private not(): Expr {
    if (this.isKeyword('NOT')) {
      this.pos++;
      return { kind: 'unary', id: this.id(), op: 'NOT', operand: this.not() };
    }
    return this.comparison();
  }

  private comparison(): Expr {
    const left = this.additive();
    const t = this.peek();
    const op = t.kind === 'op' ? COMPARE[t.text] : this.isKeyword('IN') ? 'IN' : undefined;
    if (!op) return left;
    this.pos++;
    return { kind: 'binary', id: this.id(), op, left, right: this.additive() };
  }

  private additive(): Expr {
    let left = this.multiplicative();
    while (this.isOp('+') || this.isOp('-')) {
      const op = this.peek().text as '+' | '-';
      this.pos++;
      left = { kind: 'binary', id: this.id(), op, left, right: this.multiplicative() };
    }
    return left;
  }

  private multiplicative(): Expr {
    let left = this.unary();
    while (this.isOp('*') || this.isOp('/')) {
      const op = this.peek().text as '*' | '/';
      this.pos++;
      left = { kind: 'binary', id: this.id(), op, left, right: this.unary() };
    }
    return left;
  }

  private unary(): Expr {
    if (this.isOp('-')) {
      this.pos++;
      return { kind: 'unary', id: this.id(), op: '-', operand: this.unary() };
    }
    return this.postfix();
  }

  private postfix(): Expr {
    let expr = this.primary();
    for (;;) {
      if (this.isOp('.')) {
        this.pos++;
        const t = this.peek();
        if (t.kind !== 'ident' && t.kind !== 'number') this.unexpected('a member name');
        this.pos++;
        expr = { kind: 'member', id: this.id(), object: expr, property: String(t.value) };
      } else if (this.isOp('[')) {
        this.pos++;
        const index = this.expr();
        this.expectOp(']');
        expr = { kind: 'index', id: this.id(), object: expr, index };
      } else return expr;
    }
  }

  private primary(): Expr {
    const t = this.peek();
    if (t.kind === 'number') {
      this.pos++;
      return { kind: 'literal', id: this.id(), value: Number(t.value) };
    }
    if (t.kind === 'string') {
      this.pos++;
      return { kind: 'literal', id: this.id(), value: t.value };
    }
    if (t.kind === 'keyword' && (t.value === 'TRUE' || t.value === 'FALSE' || t.value === 'NULL')) {
      this.pos++;
      return { kind: 'literal', id: this.id(), value: t.value === 'NULL' ? null : t.value === 'TRUE' };
    }
    if (t.kind === 'op' && t !== this.eof) {
      if (t.text === '(') {
        this.pos++;
        const inner = this.expr();
        if (this.isOp(',')) {
          // (a, b) is a list in VQL.
          const items = [inner];
          while (this.isOp(',')) {
            this.pos++;
            items.push(this.expr());
          }
          this.expectOp(')');
          return { kind: 'list', id: this.id(), items };
        }
        this.expectOp(')');
        return inner;
      }
      if (t.text === '[') {
        this.pos++;
        const items: Expr[] = [];
        while (!this.isOp(']')) {
          items.push(this.expr());
          if (this.isOp(',')) this.pos++;
          else break;
        }
        this.expectOp(']');
        return { kind: 'list', id: this.id(), items };
      }
      if (t.text === '{') {
        this.pos++;
        const query = this.select();
        this.expectOp('}');
        return { kind: 'subquery', id: this.id(), query };
      }
      return this.unexpected();
    }
    if (t.kind === 'ident') {
      this.pos++;
      const name = t.value;
      const ref: Expr = this.isOp('(')
        ? { kind: 'call', id: this.id(), name, args: this.args() }
        : { kind: 'symbol', id: this.id(), name };
      // `-name` (the engine's negated symbol) negates the value or the call's result.
      return t.negated ? { kind: 'unary', id: this.id(), op: '-', operand: ref } : ref;
    }
    return this.unexpected();
  }
}
