/**
 * Monaco editing one VQL cell. This module (and Monaco) is loaded with a dynamic import from the
 * notebook (see LazyVqlEditor), so the first screen never pays for it. Ctrl/Cmd+Enter runs the cell.
 */
import { useComputedColorScheme } from '@mantine/core';
import { useEffect, useRef } from 'react';
import { errorMarkers } from './error-markers';
import { monaco, registerVql } from './monaco-vql';

registerVql();

/** Editor height bounds (px): small windows keep a short query short, long ones grow up to MAX_H. */
const MIN_H = 72;
const MAX_H = 480;

export interface VqlEditorProps {
  value: string;
  onChange: (v: string) => void;
  onRun: () => void;
  /** The last run's error: marked in the query where it points (error-markers.ts). */
  error?: string | null | undefined;
  testId?: string;
}

export default function VqlEditor(props: VqlEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const editor = useRef<ReturnType<typeof monaco.editor.create> | null>(null);
  const latest = useRef(props);
  useEffect(() => {
    latest.current = props;
  });
  const scheme = useComputedColorScheme('light');

  useEffect(() => {
    if (!host.current) return;
    const ed = monaco.editor.create(host.current, {
      value: props.value,
      language: 'vql',
      minimap: { enabled: false },
      automaticLayout: true,
      scrollBeyondLastLine: false,
      fontSize: 13,
      lineNumbers: 'on',
      matchBrackets: 'always',
      wordWrap: 'on',
      tabSize: 2,
      theme: scheme === 'dark' ? 'vs-dark' : 'vs',
      ariaLabel: 'VQL editor. Ctrl+Enter runs the cell.',
    });
    ed.onDidChangeModelContent(() => latest.current.onChange(ed.getValue()));
    // The editor grows with its query (between MIN_H and MAX_H), so a long query needs no inner scroll.
    const fit = () => {
      const h = Math.min(MAX_H, Math.max(MIN_H, ed.getContentHeight() + 2));
      if (host.current && host.current.style.height !== `${h}px`) host.current.style.height = `${h}px`;
    };
    ed.onDidContentSizeChange(fit);
    fit();
    // An action, not addCommand: addCommand registers a page-wide keybinding (the last editor created
    // wins, so Ctrl+Enter in cell 1 ran another cell); an action's keybinding holds only in its editor.
    const runAction = ed.addAction({
      id: 'megaraptor.runCell',
      label: 'Run this cell',
      keybindings: [monaco.KeyMod.CtrlCmd | monaco.KeyCode.Enter],
      run: () => latest.current.onRun(),
    });
    editor.current = ed;
    return () => {
      runAction.dispose();
      ed.dispose();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the editor is created once; value flows out through onChange
  }, []);

  useEffect(() => {
    monaco.editor.setTheme(scheme === 'dark' ? 'vs-dark' : 'vs');
  }, [scheme]);

  const { error } = props;
  useEffect(() => {
    const model = editor.current?.getModel();
    if (!model) return;
    const markers = error ? errorMarkers(model.getValue(), error) : [];
    monaco.editor.setModelMarkers(
      model,
      'vql-run',
      markers.map((m) => ({ ...m, severity: monaco.MarkerSeverity.Error, source: 'Velociraptor' })),
    );
  }, [error]);

  return (
    <div
      ref={host}
      data-testid={props.testId}
      style={{ height: MIN_H, border: '1px solid var(--mantine-color-default-border)', borderRadius: 4 }}
    />
  );
}
