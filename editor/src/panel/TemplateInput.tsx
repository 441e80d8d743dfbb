/**
 * A text field for templates, one line or several, that completes inside `{{ … }}`: type `{{` (or
 * press the `{}` button) and pick a field with the arrows and Enter or Tab.
 */
import { useCallback, useRef, useState, type ChangeEvent, type KeyboardEvent } from 'react';
import { useEditor, useDescriptor } from '../canvas/store.ts';
import { currentDoc } from '../canvas/document.ts';
import { useIntegrations, useOffers } from '../api/queries.ts';
import type { CompletionSpot, Suggestion } from './completion.ts';
import { TemplatePreview } from './TemplatePreview.tsx';

/** The completion module (it carries the template filters) loads on the first keystroke. */
let completion: typeof import('./completion.ts') | undefined;
const loadCompletion = () => import('./completion.ts').then((m) => (completion = m));

interface Props {
  value: string;
  onChange(value: string): void;
  nodeId: string;
  nodeType: string;
  multiline?: boolean;
  rows?: number;
  placeholder?: string;
  id?: string;
  invalid?: boolean;
  readOnly?: boolean;
  ariaLabel?: string;
  /** Hide the `{}` button (in tight rows). */
  compact?: boolean;
  /** No line under the field with what the template gives (a field that previews itself otherwise). */
  noPreview?: boolean;
}

export function TemplateInput(props: Props) {
  const {
    value,
    onChange,
    nodeId,
    nodeType,
    multiline,
    rows = 4,
    placeholder,
    id,
    invalid,
    readOnly,
    ariaLabel,
    compact,
    noPreview,
  } = props;
  const descriptor = useDescriptor(nodeType);
  const ref = useRef<HTMLInputElement & HTMLTextAreaElement>(null);
  const [open, setOpen] = useState<{ spot: CompletionSpot; items: Suggestion[]; active: number } | null>(null);
  // the reference data completion offers (cached: the editor page loaded it)
  const integrations = useIntegrations().data;
  const offers = useOffers().data;

  const refresh = useCallback(
    (text: string, caret: number) => {
      const show = ({ completionSpot, suggest }: NonNullable<typeof completion>) => {
        const spot = completionSpot(text, caret);
        if (!spot) {
          setOpen(null);
          return;
        }
        const ui = useEditor.getState();
        const scope = { ...ui, doc: currentDoc(), integrations: integrations ?? [], offers: offers ?? [] };
        const items = suggest(scope, nodeId, descriptor, spot);
        setOpen(items.length ? { spot, items, active: 0 } : null);
      };
      if (completion) show(completion);
      else if (text.includes('{{')) void loadCompletion().then(show);
    },
    [nodeId, descriptor, integrations, offers],
  );

  const accept = (item: Suggestion) => {
    if (!open) return;
    const el = ref.current;
    const { from, to } = open.spot;
    const after = value.slice(to);
    let insert = item.insert;
    if (item.leaf && !/^\s*(\||}})/.test(after)) insert += '}}';
    else if (!item.leaf && open.spot.kind === 'path') insert += '.';
    const next = value.slice(0, from) + insert + after;
    onChange(next);
    const caret = from + insert.length;
    requestAnimationFrame(() => {
      el?.focus();
      el?.setSelectionRange(caret, caret);
      if (!item.leaf) refresh(next, caret);
      else setOpen(null);
    });
  };

  const onInput = (event: ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) => {
    onChange(event.target.value);
    refresh(event.target.value, event.target.selectionStart ?? event.target.value.length);
  };

  const onKeyDown = (event: KeyboardEvent) => {
    if (!open) {
      if (event.key === ' ' && event.ctrlKey) {
        event.preventDefault();
        const el = ref.current;
        if (el) refresh(value, el.selectionStart ?? value.length);
      }
      return;
    }
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      const delta = event.key === 'ArrowDown' ? 1 : -1;
      setOpen({ ...open, active: (open.active + delta + open.items.length) % open.items.length });
    } else if (event.key === 'Enter' || event.key === 'Tab') {
      event.preventDefault();
      accept(open.items[open.active]);
    } else if (event.key === 'Escape') {
      event.preventDefault();
      setOpen(null);
    }
  };

  const insertBraces = () => {
    const el = ref.current;
    if (!el) return;
    const at = el.selectionStart ?? value.length;
    const end = el.selectionEnd ?? at;
    const next = value.slice(0, at) + '{{' + value.slice(end);
    onChange(next);
    requestAnimationFrame(() => {
      el.focus();
      el.setSelectionRange(at + 2, at + 2);
      refresh(next, at + 2);
    });
  };

  const common = {
    ref,
    id,
    value,
    placeholder,
    readOnly,
    'aria-label': ariaLabel,
    'aria-invalid': invalid || undefined,
    className: `lf-input lf-input--mono${invalid ? ' is-invalid' : ''}`,
    spellCheck: false,
    autoComplete: 'off',
    onChange: onInput,
    onKeyDown,
    onBlur: () => setTimeout(() => setOpen(null), 150),
    onClick: (e: { currentTarget: HTMLInputElement | HTMLTextAreaElement }) =>
      refresh(value, e.currentTarget.selectionStart ?? value.length),
  };

  return (
    // one box for the field and its preview, so a row of fields (key → value) keeps its columns
    <div className={`lf-template-field${compact ? ' is-compact' : ''}`}>
      <div className={`lf-template${compact ? ' is-compact' : ''}`}>
        {multiline ? <textarea rows={rows} {...common} /> : <input type="text" {...common} />}
        {!readOnly && !compact && (
          <button
            type="button"
            className="lf-template__insert"
            title="Insert a field: {{…}}"
            onMouseDown={(e) => e.preventDefault()}
            onClick={insertBraces}
          >
            {'{}'}
          </button>
        )}
        {open && (
          <ul className="lf-complete" role="listbox">
            {open.items.map((item, i) => (
              <li
                key={item.label}
                role="option"
                aria-selected={i === open.active}
                className={i === open.active ? 'is-active' : ''}
                onMouseDown={(e) => {
                  e.preventDefault();
                  accept(item);
                }}
              >
                <span className="lf-complete__label">{item.label}</span>
                {item.detail && <span className="lf-complete__detail">{item.detail}</span>}
              </li>
            ))}
          </ul>
        )}
      </div>
      {!noPreview && <TemplatePreview value={value} nodeId={nodeId} nodeType={nodeType} />}
    </div>
  );
}
