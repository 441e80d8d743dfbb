/**
 * One form field per parameter kind of the node contract (text, template, secret, select, number,
 * boolean, keyValue, json, code, statusTable). The form is generated from a node's descriptor, so
 * a new node needs no code here.
 */
import { lazy, Suspense, useState } from 'react';
import type { KeyValue, ParamSpec, StatusRule } from '../../../core/node/contract.ts';
import { STAGES } from '../../../core/domain/lead.ts';
import { useEditor } from '../canvas/store.ts';
import { useIntegrations } from '../api/queries.ts';
import { TemplateInput } from './TemplateInput.tsx';
import { KeyValueRows } from '../app/KeyValueRows.tsx';
import { useTemplateCompletionTarget } from './completion-target.ts';
import { CodeField } from './CodeField.tsx';
import { JsonPreview } from './JsonPreview.tsx';

const JsonEditor = lazy(() => import('./JsonEditor.tsx'));

export interface FieldProps {
  name: string;
  spec: ParamSpec;
  value: unknown;
  onChange(value: unknown): void;
  nodeId: string;
  nodeType: string;
  invalid: boolean;
  readOnly: boolean;
  inputId: string;
}

const asText = (value: unknown): string =>
  value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value);

export function ParamField(props: FieldProps) {
  switch (props.spec.kind) {
    case 'template':
      return <TemplateField {...props} />;
    case 'secret':
      return <SecretField {...props} />;
    case 'select':
      return (
        <select
          id={props.inputId}
          className={`lf-input${props.invalid ? ' is-invalid' : ''}`}
          value={asText(props.value ?? props.spec.default)}
          disabled={props.readOnly}
          onChange={(e) => props.onChange(e.target.value)}
        >
          {(props.spec.options ?? []).map((option) => (
            <option key={option} value={option}>
              {option === '' ? '(none)' : option}
            </option>
          ))}
        </select>
      );
    case 'number':
      return (
        <input
          id={props.inputId}
          type="number"
          className={`lf-input${props.invalid ? ' is-invalid' : ''}`}
          value={typeof props.value === 'number' ? props.value : ''}
          placeholder={props.spec.default !== undefined ? String(props.spec.default) : props.spec.placeholder}
          min={props.spec.min}
          max={props.spec.max}
          readOnly={props.readOnly}
          onChange={(e) => props.onChange(e.target.value === '' ? undefined : Number(e.target.value))}
        />
      );
    case 'boolean':
      return (
        <label className="lf-check">
          <input
            id={props.inputId}
            type="checkbox"
            checked={props.value === undefined ? props.spec.default === true : props.value === true}
            disabled={props.readOnly}
            onChange={(e) => props.onChange(e.target.checked)}
          />
          {props.spec.label ?? props.name}
        </label>
      );
    case 'keyValue':
      return <KeyValueField {...props} />;
    case 'json':
      return <JsonField {...props} />;
    case 'code':
      return (
        <CodeField
          name={props.name}
          value={asText(props.value)}
          onChange={props.onChange}
          nodeId={props.nodeId}
          nodeType={props.nodeType}
          readOnly={props.readOnly}
          inputId={props.inputId}
        />
      );
    case 'statusTable':
      return <StatusTableField {...props} />;
    case 'text':
    default:
      return (
        <input
          id={props.inputId}
          type="text"
          className={`lf-input${props.invalid ? ' is-invalid' : ''}`}
          value={asText(props.value)}
          placeholder={props.spec.placeholder}
          readOnly={props.readOnly}
          onChange={(e) => props.onChange(e.target.value)}
        />
      );
  }
}

/** One line, or several when the template already is long; decided once, so typing never swaps the field under the caret. */
function TemplateField(props: FieldProps) {
  const [multiline] = useState(() => asText(props.value).length > 80 || asText(props.value).includes('\n'));
  return (
    <TemplateInput
      id={props.inputId}
      value={asText(props.value)}
      onChange={props.onChange}
      nodeId={props.nodeId}
      nodeType={props.nodeType}
      placeholder={props.spec.placeholder}
      invalid={props.invalid}
      readOnly={props.readOnly}
      multiline={multiline}
    />
  );
}

const SECRET_REF = /^\{\{\s*secrets\.([A-Za-z0-9_$-]+)\s*\}\}$/;

/**
 * A secret parameter names one of the integration's secrets; their values never reach the editor.
 * A literal typed here is masked and flagged: it belongs in the integration.
 */
function SecretField(props: FieldProps) {
  const integrationId = useEditor((s) => s.testIntegration);
  const integrations = useIntegrations().data ?? [];
  const names = Object.keys(integrations.find((i) => i.id === integrationId)?.secrets ?? {});
  const text = asText(props.value);
  const ref = SECRET_REF.exec(text);
  const [mode, setMode] = useState<'secret' | 'template' | 'literal'>(
    text === '' || ref ? 'secret' : text.includes('{{') ? 'template' : 'literal',
  );
  const selected = ref ? ref[1] : '';
  const options = selected && !names.includes(selected) ? [...names, selected] : names;
  return (
    <div className="lf-secret">
      <div className="lf-row">
        <select
          id={props.inputId}
          className={`lf-input${props.invalid ? ' is-invalid' : ''}`}
          value={mode === 'secret' ? selected : `:${mode}`}
          disabled={props.readOnly}
          onChange={(e) => {
            const v = e.target.value;
            if (v === ':template' || v === ':literal') {
              setMode(v.slice(1) as 'template' | 'literal');
              if (ref) props.onChange('');
            } else {
              setMode('secret');
              props.onChange(v ? `{{secrets.${v}}}` : undefined);
            }
          }}
        >
          <option value="">(none)</option>
          {options.map((name) => (
            <option key={name} value={name}>
              secret: {name}
              {names.includes(name) ? '' : ' (not set in this integration)'}
            </option>
          ))}
          <option value=":template">a template…</option>
          <option value=":literal">type a value (not recommended)…</option>
        </select>
      </div>
      {mode === 'template' && (
        <TemplateInput
          value={text}
          onChange={props.onChange}
          nodeId={props.nodeId}
          nodeType={props.nodeType}
          invalid={props.invalid}
          readOnly={props.readOnly}
        />
      )}
      {mode === 'literal' && (
        <>
          <input
            type="password"
            className="lf-input"
            autoComplete="new-password"
            value={text}
            readOnly={props.readOnly}
            onChange={(e) => props.onChange(e.target.value)}
          />
          <p className="lf-help lf-warn">
            A value typed here is stored in the flow. Put it in the integration’s secrets and pick it above instead.
          </p>
        </>
      )}
      {names.length === 0 && <p className="lf-help">The test integration has no secrets yet; add them on the Integrations page.</p>}
    </div>
  );
}

function KeyValueField(props: FieldProps) {
  const rows: KeyValue[] = Array.isArray(props.value) ? (props.value as KeyValue[]) : [];
  return (
    <KeyValueRows
      id={props.inputId}
      rows={rows}
      onChange={props.onChange}
      label={props.spec.label ?? props.name}
      emptyValue={''}
      readOnly={props.readOnly}
      renderValue={(row, setValue, ariaLabel) => (
        <TemplateInput
          compact
          value={asText(row.value)}
          ariaLabel={ariaLabel}
          onChange={setValue}
          nodeId={props.nodeId}
          nodeType={props.nodeType}
          readOnly={props.readOnly}
        />
      )}
    />
  );
}

/** True when the text is JSON of this value (false while it is being typed and not JSON yet). */
function sameJson(text: string, value: unknown): boolean {
  try {
    return JSON.stringify(JSON.parse(text)) === JSON.stringify(value);
  } catch {
    return false;
  }
}

/** JSON with templates in its strings, in the JSON editor. The text may be invalid while typing; only valid JSON is kept. */
function JsonField(props: FieldProps) {
  const pretty = (v: unknown) => (v === undefined ? '' : JSON.stringify(v, null, 2));
  const [text, setText] = useState(() => pretty(props.value));
  const [error, setError] = useState('');
  const completion = useTemplateCompletionTarget(props.nodeId, props.nodeType);
  // follow changes from outside (undo, paste, another version), adjusting while rendering as React
  // advises for state derived from a prop: the value this text last followed is kept beside it
  const [followed, setFollowed] = useState(props.value);
  if (props.value !== followed) {
    setFollowed(props.value);
    if (!sameJson(text, props.value)) {
      setText(pretty(props.value));
      setError('');
    }
  }
  const onText = (next: string) => {
    setText(next);
    if (next.trim() === '') {
      setError('');
      props.onChange(undefined);
      return;
    }
    try {
      props.onChange(JSON.parse(next));
      setError('');
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <>
      <Suspense
        fallback={<textarea className="lf-input lf-input--mono" rows={Math.min(16, text.split('\n').length + 1)} value={text} readOnly />}
      >
        <JsonEditor
          id={props.inputId}
          value={text}
          invalid={props.invalid || !!error}
          readOnly={props.readOnly}
          completion={completion}
          onChange={onText}
        />
      </Suspense>
      {error && <p className="lf-field__error">Not valid JSON yet: {error}</p>}
      <JsonPreview value={props.value} nodeId={props.nodeId} nodeType={props.nodeType} />
    </>
  );
}

function StatusTableField(props: FieldProps) {
  const rows: StatusRule[] = Array.isArray(props.value) ? (props.value as StatusRule[]) : [];
  const set = (next: StatusRule[]) => props.onChange(next);
  const move = (i: number, delta: number) => {
    const next = [...rows];
    const [row] = next.splice(i, 1);
    next.splice(i + delta, 0, row);
    set(next);
  };
  return (
    <div className="lf-status" id={props.inputId}>
      <div className="lf-status__head">
        <span>match</span>
        <span>target status</span>
        <span>our stage</span>
      </div>
      {rows.map((row, i) => (
        <div className="lf-status__row" key={i}>
          <select
            className="lf-input"
            value={row.match}
            disabled={props.readOnly}
            aria-label={`rule ${i + 1} match`}
            onChange={(e) => set(rows.map((r, j) => (j === i ? { ...r, match: e.target.value as StatusRule['match'] } : r)))}
          >
            <option value="exact">exact</option>
            <option value="list">any of</option>
            <option value="pattern">pattern</option>
          </select>
          <input
            className="lf-input lf-input--mono"
            value={row.value}
            readOnly={props.readOnly}
            aria-label={`rule ${i + 1} status`}
            placeholder={row.match === 'list' ? 'new,processing' : row.match === 'pattern' ? '^reject' : 'approved'}
            onChange={(e) => set(rows.map((r, j) => (j === i ? { ...r, value: e.target.value } : r)))}
          />
          <select
            className={`lf-input stage-${row.stage}`}
            value={row.stage}
            disabled={props.readOnly}
            aria-label={`rule ${i + 1} stage`}
            onChange={(e) => set(rows.map((r, j) => (j === i ? { ...r, stage: e.target.value as StatusRule['stage'] } : r)))}
          >
            {STAGES.map((stage) => (
              <option key={stage} value={stage}>
                {stage}
              </option>
            ))}
          </select>
          {!props.readOnly && (
            <span className="lf-status__tools">
              <button type="button" className="lf-icon-btn" title="Move up" disabled={i === 0} onClick={() => move(i, -1)}>
                ↑
              </button>
              <button type="button" className="lf-icon-btn" title="Move down" disabled={i === rows.length - 1} onClick={() => move(i, 1)}>
                ↓
              </button>
              <button type="button" className="lf-icon-btn" title="Remove this rule" onClick={() => set(rows.filter((_, j) => j !== i))}>
                ×
              </button>
            </span>
          )}
        </div>
      ))}
      {!props.readOnly && (
        <button type="button" className="lf-link-btn" onClick={() => set([...rows, { match: 'exact', value: '', stage: 'wait' }])}>
          + Add rule
        </button>
      )}
    </div>
  );
}
