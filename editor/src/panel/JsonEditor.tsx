/**
 * The editor of JSON params (JSON Build's body): CodeMirror 6 in JSON mode, with JSON syntax
 * errors marked where they are and template completion inside strings (type `{{`). Loaded on
 * demand with CodeMirror, like the Code node's editor.
 */
import { useEffect, useRef } from 'react';
import { EditorState, Compartment } from '@codemirror/state';
import { EditorView, keymap, lineNumbers, drawSelection, highlightActiveLine } from '@codemirror/view';
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { bracketMatching, defaultHighlightStyle, indentOnInput, syntaxHighlighting } from '@codemirror/language';
import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap } from '@codemirror/autocomplete';
import { json, jsonParseLinter } from '@codemirror/lang-json';
import { linter, lintGutter } from '@codemirror/lint';
import { templateCompletionSource, type TemplateCompletionTarget } from './template-completion.ts';
import { useFollowView } from './follow-view.ts';

const theme = EditorView.theme({
  '&': { fontSize: '12.5px', border: '1px solid var(--line)', borderRadius: '6px', background: '#fff' },
  '&.cm-focused': { outline: '2px solid var(--accent-soft)' },
  '.cm-content': { fontFamily: 'var(--mono)' },
  '.cm-gutters': { background: '#f8fafc', borderRight: '1px solid var(--line)', color: '#94a3b8' },
  '.cm-scroller': { minHeight: '120px', maxHeight: '460px' },
  '.cm-tooltip-autocomplete ul li': { fontFamily: 'var(--mono)' },
});

export interface JsonEditorProps {
  value: string;
  onChange(text: string): void;
  readOnly?: boolean;
  id?: string;
  invalid?: boolean;
  completion: TemplateCompletionTarget;
}

export default function JsonEditor({ value, onChange, readOnly, id, invalid, completion }: JsonEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const onChangeRef = useRef(onChange);
  const completionRef = useRef(completion);
  const initial = useRef({ value, readOnly: !!readOnly });
  const readOnlyCompartment = useRef(new Compartment());

  useEffect(() => {
    onChangeRef.current = onChange;
    completionRef.current = completion;
  }, [onChange, completion]);

  useEffect(() => {
    if (!host.current) return;
    // completion reads the latest target each time (the node, the run, the integration change)
    const source = templateCompletionSource({
      scope: () => completionRef.current.scope(),
      get nodeId() {
        return completionRef.current.nodeId;
      },
      get descriptor() {
        return completionRef.current.descriptor;
      },
      inside: ['String', 'PropertyName'],
    });
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
        json(),
        lintGutter(),
        linter(jsonParseLinter(), { delay: 250 }),
        autocompletion({ override: [source], activateOnTyping: true, icons: false }),
        keymap.of([...closeBracketsKeymap, ...completionKeymap, ...defaultKeymap, ...historyKeymap, indentWithTab]),
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

  useFollowView(view, readOnlyCompartment, value, readOnly);

  return <div ref={host} id={id} className={`lf-code lf-json${invalid ? ' is-invalid' : ''}`} data-testid="json-editor" />;
}
