/**
 * Completion in a Code node's script: `helpers.` (every helper with its signature and what it
 * does, from the kernel's catalogue core/node/code-helpers.ts), `lead.` (the lead type's fields),
 * `offer.` and `offer.params.`, `integration.settings.`, and `input.` (the fields the node's input
 * really had in the last test run). The paths come from the same module as template completion
 * (completion.ts), so a script and a template offer the same fields.
 */
import type { Completion, CompletionContext, CompletionResult } from '@codemirror/autocomplete';
import { CODE_HELPERS } from '../../../core/node/code-helpers.ts';
import { CODE_PARAMS } from '../../../core/node/code-sandbox.ts';
import { suggest } from './completion.ts';
import type { TemplateCompletionTarget } from './template-completion.ts';

const ROOT_DOC: Record<(typeof CODE_PARAMS)[number], string> = {
  input: 'What the node before gave',
  lead: 'The lead: name, phone, country…',
  offer: "The lead's offer, params for the lead's country",
  integration: "{ settings }: this integration's settings (never secrets)",
  helpers: 'Hashing, encoding, dates, ports: helpers.md5(…)',
};

function helperOptions(): Completion[] {
  return Object.entries(CODE_HELPERS).map(([name, entry]) => ({
    label: name,
    detail: entry.signature.slice(name.length),
    info: entry.doc,
    type: 'function',
    apply: `${name}(`,
  }));
}

/** A CodeMirror completion source for Code scripts; `target` gives the node and the scope (as for templates). */
export function codeCompletionSource(target: Pick<TemplateCompletionTarget, 'scope' | 'nodeId' | 'descriptor'>) {
  return (context: CompletionContext): CompletionResult | null => {
    const match = context.matchBefore(/[A-Za-z_$][\w$]*(?:\.[\w$]*)*$/);
    if (!match) return null;
    const parts = match.text.split('.');
    const word = parts.pop() ?? '';
    const from = match.to - word.length;
    if (parts.length === 0) {
      if (!context.explicit && word.length < 1) return null;
      return {
        from,
        options: CODE_PARAMS.map((name) => ({ label: name, info: ROOT_DOC[name], type: 'variable' })),
        validFor: /^[\w$]*$/,
      };
    }
    const [root, ...rest] = parts;
    if (!(CODE_PARAMS as readonly string[]).includes(root)) return null;
    if (root === 'helpers') return rest.length ? null : { from, options: helperOptions(), validFor: /^[\w$]*$/ };
    // a Code node's integration is its settings only
    if (root === 'integration' && rest.length === 0) {
      return { from, options: [{ label: 'settings', detail: "this integration's settings", type: 'namespace' }], validFor: /^[\w$]*$/ };
    }
    const items = suggest(target.scope(), target.nodeId, target.descriptor, { from: 0, to: 0, kind: 'path', parent: parts, word: '' });
    if (!items.length) return null;
    return {
      from,
      options: items.map((item) => ({
        label: item.label,
        detail: item.detail,
        type: item.leaf ? 'property' : 'namespace',
        // a key that is no identifier is written input["x-y"], in place of the dot
        apply: item.insert.startsWith('[')
          ? (view, _c, f, t) => view.dispatch({ changes: { from: f - 1, to: t, insert: item.insert } })
          : item.insert,
      })),
      validFor: /^[\w$]*$/,
    };
  };
}
