/**
 * The VQL language for Monaco: tokens, brackets, comments, formatting and completions from the
 * connected server. Loaded only by the lazy editor chunk, never by the first screen.
 */
import 'monaco-editor/esm/vs/editor/editor.all.js';
import * as monaco from 'monaco-editor/esm/vs/editor/editor.api.js';
import EditorWorker from 'monaco-editor/esm/vs/editor/editor.worker.js?worker';
import type { CompletionItem } from '../../../shared/contracts/vql';
import { completionContext } from './completion-context';
import { formatVql } from './format';

export { monaco };

(self as unknown as { MonacoEnvironment: { getWorker(): Worker } }).MonacoEnvironment = {
  getWorker: () => new EditorWorker(),
};

const KEYWORDS = [
  'SELECT',
  'FROM',
  'WHERE',
  'LET',
  'LIMIT',
  'ORDER',
  'GROUP',
  'BY',
  'AND',
  'OR',
  'NOT',
  'AS',
  'DESC',
  'IN',
  'TRUE',
  'FALSE',
  'NULL',
  'EXPLAIN',
  'FOREACH',
];

/** Completion items per editor model: the notebook sets them when the server changes. */
let items: CompletionItem[] = [];
export function setCompletionItems(next: CompletionItem[]): void {
  items = next;
}

let registered = false;
export function registerVql(): void {
  if (registered) return;
  registered = true;
  monaco.languages.register({ id: 'vql' });
  monaco.languages.setLanguageConfiguration('vql', {
    comments: { lineComment: '--', blockComment: ['/*', '*/'] },
    brackets: [
      ['(', ')'],
      ['[', ']'],
      ['{', '}'],
    ],
    autoClosingPairs: [
      { open: '(', close: ')' },
      { open: '[', close: ']' },
      { open: '{', close: '}' },
      { open: '"', close: '"', notIn: ['string'] },
      { open: "'", close: "'", notIn: ['string'] },
    ],
  });
  monaco.languages.setMonarchTokensProvider('vql', {
    ignoreCase: true,
    keywords: KEYWORDS,
    tokenizer: {
      root: [
        [/--.*$/, 'comment'],
        [/\/\/.*$/, 'comment'],
        [/\/\*/, 'comment', '@comment'],
        [/'''/, 'string', '@tripleString'],
        [/"([^"\\]|\\.)*"/, 'string'],
        [/'([^'\\]|\\.)*'/, 'string'],
        [/\d+(\.\d+)?/, 'number'],
        [/[A-Za-z_][\w]*(?=\s*\()/, 'predefined'],
        [/[A-Za-z_][\w.]*/, { cases: { '@keywords': 'keyword', '@default': 'identifier' } }],
        [/[()[\]{}]/, '@brackets'],
        [/=~|!=|<=|>=|[=<>+\-*/]/, 'operator'],
      ],
      comment: [
        [/\*\//, 'comment', '@pop'],
        [/./, 'comment'],
      ],
      tripleString: [
        [/'''/, 'string', '@pop'],
        [/./, 'string'],
      ],
    },
  });
  monaco.languages.registerDocumentFormattingEditProvider('vql', {
    provideDocumentFormattingEdits: (model) => [
      { range: model.getFullModelRange(), text: formatVql(model.getValue()) },
    ],
  });
  monaco.languages.registerCompletionItemProvider('vql', {
    triggerCharacters: ['(', ',', ' ', '.'],
    provideCompletionItems(model, position) {
      const before = model.getValueInRange({
        startLineNumber: 1,
        startColumn: 1,
        endLineNumber: position.lineNumber,
        endColumn: position.column,
      });
      const ctx = completionContext(before);
      const word = model.getWordUntilPosition(position);
      const range = {
        startLineNumber: position.lineNumber,
        endLineNumber: position.lineNumber,
        startColumn: word.startColumn,
        endColumn: word.endColumn,
      };
      const K = monaco.languages.CompletionItemKind;
      const doc = (it: CompletionItem) => ({
        value: `${it.description}\n\n${it.args.map((a) => `- \`${a.name}\` (${a.type}${a.required ? ', required' : ''}) ${a.description}`).join('\n')}`,
      });
      switch (ctx.kind) {
        case 'none':
          return { suggestions: [] };
        case 'plugin':
          return {
            suggestions: items
              .filter((i) => i.kind === 'plugin')
              .map((i) => ({
                label: i.name,
                kind: K.Module,
                insertText: i.name,
                documentation: doc(i),
                range,
              })),
          };
        case 'artifact': {
          const r = { ...range, startColumn: position.column - ctx.prefix.length };
          return {
            suggestions: items
              .filter((i) => i.kind === 'artifact')
              .map((i) => ({
                label: i.name,
                kind: K.Class,
                insertText: i.name,
                documentation: doc(i),
                range: r,
              })),
          };
        }
        case 'argument': {
          const callee = ctx.callee.startsWith('Artifact.')
            ? ctx.callee.slice('Artifact.'.length)
            : ctx.callee;
          const target = items.find((i) => i.name === callee);
          const args = target?.args.filter((a) => !ctx.used.includes(a.name)) ?? [];
          return {
            suggestions: args.map((a) => ({
              label: a.name,
              kind: K.Property,
              detail: `${a.type}${a.required ? ' (required)' : ''}`,
              documentation: a.description,
              insertText: `${a.name}=`,
              range,
            })),
          };
        }
        case 'expression':
          return {
            suggestions: [
              ...items
                .filter((i) => i.kind === 'function')
                .map((i) => ({
                  label: i.name,
                  kind: K.Function,
                  insertText: `${i.name}(`,
                  documentation: doc(i),
                  range,
                })),
              ...KEYWORDS.map((k) => ({ label: k, kind: K.Keyword, insertText: k, range })),
            ],
          };
      }
    },
  });
}
