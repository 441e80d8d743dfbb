/**
 * The code editor of Code nodes: CodeMirror 6 with JavaScript highlighting and syntax errors marked
 * as you type (acorn, the parser the runtime checks code with), completion for `helpers`, `lead`,
 * `offer`, `integration` and `input` (code-completion.ts) and, after a test run that failed in the
 * script, that error on its line. Loaded on demand, so flows without a Code node never download it.
 */
import { useEffect, useRef } from 'react';
import { EditorState, Compartment } from '@codemirror/state';
import { EditorView, keymap, lineNumbers, highlightActiveLine, drawSelection } from '@codemirror/view';
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { bracketMatching, defaultHighlightStyle, indentOnInput, syntaxHighlighting } from '@codemirror/language';
import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap } from '@codemirror/autocomplete';
import { javascript, localCompletionSource } from '@codemirror/lang-javascript';
import { forceLinting, linter, lintGutter, type Diagnostic } from '@codemirror/lint';
import { parse } from 'acorn';
import { codeCompletionSource } from './code-completion.ts';
import { useFollowView } from './follow-view.ts';
import type { TemplateCompletionTarget } from './template-completion.ts';

/** A test run's error in the script: its 1-based line, as the sandbox reports it. */
export interface ScriptRunError {
  line: number;
  message: string;
}

function runErrorAt(view: EditorView, error: ScriptRunError | null | undefined): Diagnostic[] {
  if (!error || error.line < 1 || error.line > view.state.doc.lines) return [];
  const line = view.state.doc.line(error.line);
  return [
    {
      from: line.from,
      to: Math.max(line.to, line.from),
      severity: 'error',
      source: 'test run',
      message: `In the last test run: ${error.message}`,
    },
  ];
}

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
  '&.is-tall': { height: '100%' },
  '&.is-tall .cm-scroller': { maxHeight: 'none', minHeight: '0' },
  '.cm-tooltip-autocomplete ul li': { fontFamily: 'var(--mono)' },
  '.cm-completionInfo': { maxWidth: '360px', fontSize: '12.5px' },
});

export default function CodeEditor({
  value,
  onChange,
  readOnly,
  id,
  completion,
  runError,
  tall,
  autoFocus,
}: {
  value: string;
  onChange(value: string): void;
  readOnly?: boolean;
  id?: string;
  /** The node and scope completion reads (left out: no completion of fields). */
  completion?: TemplateCompletionTarget;
  /** The last test run's error in this script, marked on its line. */
  runError?: ScriptRunError | null;
  /** Fill the height of its box (the large editor). */
  tall?: boolean;
  autoFocus?: boolean;
}) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const onChangeRef = useRef(onChange);
  // what the editor starts with; later values reach it through the effects below
  const initial = useRef({ value, readOnly: !!readOnly });
  const readOnlyCompartment = useRef(new Compartment());

  const completionRef = useRef(completion);
  const runErrorRef = useRef(runError);
  const initialTall = useRef({ tall: !!tall, autoFocus: !!autoFocus });

  useEffect(() => {
    onChangeRef.current = onChange;
    completionRef.current = completion;
  }, [onChange, completion]);

  // the run's error is part of what the linter reports, so syntax checks never wipe it
  useEffect(() => {
    runErrorRef.current = runError;
    if (view.current) forceLinting(view.current);
  }, [runError]);

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
        linter((v) => [...syntaxErrors(v), ...runErrorAt(v, runErrorRef.current)], { delay: 300 }),
        autocompletion({
          override: [
            (context) => {
              const target = completionRef.current;
              return target ? codeCompletionSource(target)(context) : null;
            },
            localCompletionSource,
          ],
          icons: false,
        }),
        keymap.of([...closeBracketsKeymap, ...completionKeymap, ...defaultKeymap, ...historyKeymap, indentWithTab]),
        readOnlyCompartment.current.of(EditorState.readOnly.of(initial.current.readOnly)),
        theme,
        EditorView.updateListener.of((update) => {
          if (update.docChanged) onChangeRef.current(update.state.doc.toString());
        }),
      ],
    });
    view.current = new EditorView({ state, parent: host.current });
    if (initialTall.current.tall) view.current.dom.classList.add('is-tall');
    if (initialTall.current.autoFocus) view.current.focus();
    return () => view.current?.destroy();
  }, []);

  useFollowView(view, readOnlyCompartment, value, readOnly);

  return <div ref={host} id={id} className={`lf-code${tall ? ' lf-code--tall' : ''}`} data-testid="code-editor" />;
}
