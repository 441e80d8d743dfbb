/**
 * Template completion (`{{lead.…}}`, `{{offer.…}}`, `{{secrets.…}}`, `{{integration.settings.…}}`,
 * `{{nodes.<id>.…}}`, filters after `|`) for CodeMirror editors, drawn from the same module as the
 * template fields' own list (completion.ts): the same spot, the same suggestions, the same insert.
 */
import { startCompletion, type Completion, type CompletionContext, type CompletionResult } from '@codemirror/autocomplete';
import { syntaxTree } from '@codemirror/language';
import type { EditorView } from '@codemirror/view';
import type { NodeDescriptor } from '../../../core/node/contract.ts';
import { completionSpot, suggest, type CompletionScope, type Suggestion } from './completion.ts';

/** Where completion reads the open flow, the last run and the test integration's data, at the time it completes. */
export interface TemplateCompletionTarget {
  scope(): CompletionScope;
  nodeId: string;
  descriptor: NodeDescriptor | undefined;
  /** Syntax nodes the caret must be inside (JSON: `String`); any place when left out. */
  inside?: readonly string[];
}

/** How a suggestion goes in: a leaf closes the expression with `}}`, a branch goes on with `.` and asks again. */
function applyOf(item: Suggestion, kind: 'path' | 'filter') {
  return (view: EditorView, _completion: Completion, from: number, to: number) => {
    const after = view.state.sliceDoc(to, to + 40);
    let insert = item.insert;
    if (item.leaf && !/^\s*(\||}})/.test(after)) insert += '}}';
    else if (!item.leaf && kind === 'path') insert += '.';
    view.dispatch({ changes: { from, to, insert }, selection: { anchor: from + insert.length }, userEvent: 'input.complete' });
    if (!item.leaf) startCompletion(view);
  };
}

/** A CodeMirror completion source for templates inside the document. */
export function templateCompletionSource(target: TemplateCompletionTarget) {
  return (context: CompletionContext): CompletionResult | null => {
    if (target.inside) {
      const node = syntaxTree(context.state).resolveInner(context.pos, -1);
      if (!target.inside.includes(node.name)) return null;
    }
    // the spot is looked for on the caret's line: a template never spans lines in a JSON string
    const line = context.state.doc.lineAt(context.pos);
    const spot = completionSpot(line.text, context.pos - line.from);
    if (!spot) return null;
    const items = suggest(target.scope(), target.nodeId, target.descriptor, spot);
    if (!items.length && !context.explicit) return null;
    return {
      from: line.from + spot.from,
      to: line.from + spot.to,
      filter: false,
      options: items.map((item) => ({
        label: item.label,
        detail: item.detail,
        type: spot.kind === 'filter' ? 'function' : item.leaf ? 'property' : 'namespace',
        apply: applyOf(item, spot.kind),
      })),
    };
  };
}
