/**
 * The code editor of Code nodes: CodeMirror 6 with JavaScript highlighting and syntax errors marked
 * as you type (acorn, the parser the runtime checks code with). Loaded on demand, so flows without a
 * Code node never download it.
 */
import { useEffect, useRef } from 'react';
import { EditorState, Compartment } from '@codemirror/state';
import { EditorView, keymap, lineNumbers, highlightActiveLine, drawSelection } from '@codemirror/view';
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { bracketMatching, defaultHighlightStyle, indentOnInput, syntaxHighlighting } from '@codemirror/language';
import { closeBrackets, closeBracketsKeymap } from '@codemirror/autocomplete';
import { javascript } from '@codemirror/lang-javascript';
import { linter, lintGutter, type Diagnostic } from '@codemirror/lint';
import { parse } from 'acorn';

function syntaxErrors(view: EditorView): Diagnostic[] {
  const code = view.state.doc.toString();
  try {
    parse(code, { ecmaVersion: 'latest', sourceType: 'script', allowReturnOutsideFunction: true, allowAwaitOutsideFunction: true });
    return [];
  } catch (error) {
    const pos = Math.min((error as { pos?: number }).pos ?? 0, code.length);
    const message = (error as Error).message.replace(/\s*\(\d+:\d+\)$/, '');
    return [{ from: pos, to: Math.min(pos + 1, code.length), severity: 'error', message }];
  }
}

const theme = EditorView.theme({
  '&': { fontSize: '12.5px', border: '1px solid var(--line)', borderRadius: '6px', background: '#fff' },
  '&.cm-focused': { outline: '2px solid var(--accent-soft)' },
  '.cm-content': { fontFamily: 'var(--mono)' },
  '.cm-gutters': { background: '#f8fafc', borderRight: '1px solid var(--line)', color: '#94a3b8' },
  '.cm-scroller': { minHeight: '160px', maxHeight: '420px' },
});

export default function CodeEditor({
  value,
  onChange,
  readOnly,
  id,
}: {
  value: string;
  onChange(value: string): void;
  readOnly?: boolean;
  id?: string;
}) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const onChangeRef = useRef(onChange);
  // what the editor starts with; later values reach it through the effects below
  const initial = useRef({ value, readOnly: !!readOnly });
  const readOnlyCompartment = useRef(new Compartment());

  useEffect(() => {
    onChangeRef.current = onChange;
  }, [onChange]);

  useEffect(() => {
    if (!host.current) return;
    const state = EditorState.create({
      doc: initial.current.value,
      extensions: [
        lineNumbers(),
        history(),
        drawSelection(),
        highlightActiveLine(),
        indentOnInput(),
        bracketMatching(),
        closeBrackets(),
        syntaxHighlighting(defaultHighlightStyle),
        javascript(),
        lintGutter(),
        linter(syntaxErrors, { delay: 300 }),
        keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...historyKeymap, indentWithTab]),
        readOnlyCompartment.current.of(EditorState.readOnly.of(initial.current.readOnly)),
        theme,
        EditorView.updateListener.of((update) => {
          if (update.docChanged) onChangeRef.current(update.state.doc.toString());
        }),
      ],
    });
    view.current = new EditorView({ state, parent: host.current });
    return () => view.current?.destroy();
  }, []);

  // follow changes from outside (undo on the canvas, another version)
  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== value) v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: value } });
  }, [value]);

  useEffect(() => {
    view.current?.dispatch({ effects: readOnlyCompartment.current.reconfigure(EditorState.readOnly.of(!!readOnly)) });
  }, [readOnly]);

  return <div ref={host} id={id} className="lf-code" data-testid="code-editor" />;
}
