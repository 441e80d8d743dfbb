/**
 * The config panel of the selected node, generated from its descriptor: its problems, a field per
 * parameter (hidden ones follow `showIf`), its settings (timeout, retry, what an error does),
 * pinning its output and running it alone (runs/NodeRun.tsx) and, after a test run, what it did.
 */
import { useMemo, useState } from 'react';
import type { NodeDescriptor } from '../../../core/node/contract.ts';
import { isParamShown } from '../../../core/node/params.ts';
import { RETRY_ON, type FlowNode, type NodeSettings, type OnError } from '../../../core/domain/flow.ts';
import { useEditor, useSelectedNode } from '../canvas/store.ts';
import { flowEdits, useFlowDocument } from '../canvas/document.ts';
import { renameNode } from '../canvas/commands.ts';
import type { FlowNodeData } from '../canvas/flow-doc.ts';
import { ParamField } from './fields.tsx';
import { StepDetails } from '../runs/StepDetails.tsx';
import { NodeRun } from '../runs/NodeRun.tsx';
import { NodeProblems, paramProblemText } from './NodeProblems.tsx';
import { categoryClass } from '../canvas/look.ts';

const NO_ISSUES: never[] = [];

interface PanelNode {
  id: string;
  type: string;
  data: FlowNodeData;
}

const findNode = (nodes: FlowNode[] | undefined, id: string | undefined) => (id ? nodes?.find((n) => n.id === id) : undefined);

export function NodePanel() {
  // only the selected node's id, type, params, settings and label: dragging it (a new position) does not re-render the form
  const id = useSelectedNode();
  const type = useFlowDocument((s) => findNode(s.history?.present.nodes, id)?.type);
  const params = useFlowDocument((s) => findNode(s.history?.present.nodes, id)?.params);
  const settings = useFlowDocument((s) => findNode(s.history?.present.nodes, id)?.settings);
  const label = useFlowDocument((s) => findNode(s.history?.present.nodes, id)?.label);
  const selectedCount = useEditor((s) => s.selectedNodes.size);
  const descriptor = useEditor((s) => (type ? s.descriptors.get(type) : undefined));
  const node = useMemo<PanelNode | undefined>(
    () => (id && type !== undefined && params ? { id, type, data: { params, settings, label } } : undefined),
    [id, type, params, settings, label],
  );
  if (selectedCount > 1) {
    return (
      <div className="lf-panel__section">
        <p>{selectedCount} nodes selected.</p>
        <p className="lf-muted">
          Drag to move them together, Delete to remove them, Ctrl+C to copy them (paste into this or another flow with Ctrl+V).
        </p>
      </div>
    );
  }
  if (!node) return <p className="lf-muted lf-pad">Click a node to configure it.</p>;
  if (!descriptor) {
    return (
      <div className="lf-panel__section">
        <h2>Unknown node “{node.type}”</h2>
        <p className="lf-muted">The runtime has no node of this type. Delete it or add the node to the catalog.</p>
      </div>
    );
  }
  return <NodeForm key={node.id} node={node} descriptor={descriptor} />;
}

function NodeForm({ node, descriptor }: { node: PanelNode; descriptor: NodeDescriptor }) {
  const issues = useEditor((s) => s.issuesByNode[node.id] ?? NO_ISSUES);
  const readOnly = useFlowDocument((s) => s.viewing !== null);
  const hasRun = useEditor((s) => s.run !== null);
  const step = useEditor((s) => s.run?.steps[node.id]);
  const { setParam, setNodeFields } = flowEdits;
  const params = node.data.params;

  const fieldIssues = (name: string) =>
    issues.filter((i) => i.field === `params.${name}` || i.field.startsWith(`params.${name}[`) || i.field.startsWith(`params.${name}.`));
  const otherIssues = issues.filter(
    (i) => !i.field.startsWith('params.') || !Object.hasOwn(descriptor.params, i.field.slice(7).split(/[.[]/)[0]),
  );

  return (
    <div className="lf-node-form" data-testid="node-form">
      <header className={`lf-panel__head ${categoryClass(descriptor.category)}`}>
        <span className="lf-node__dot" />
        <div>
          <h2>{node.data.label || descriptor.title}</h2>
          <p className="lf-muted">{descriptor.description}</p>
        </div>
      </header>

      {hasRun && (
        <section className="lf-panel__section lf-panel__run">
          <h3>Last test run</h3>
          <StepDetails step={step} />
        </section>
      )}

      <NodeProblems nodeId={node.id} issues={otherIssues} descriptor={descriptor} />

      <section className="lf-panel__section">
        <NameFields node={node} descriptor={descriptor} readOnly={readOnly} />
        {Object.entries(descriptor.params)
          .filter(([, spec]) => isParamShown(spec, params, descriptor.params))
          .map(([name, spec]) => {
            const problems = fieldIssues(name);
            const inputId = `param-${node.id}-${name}`;
            return (
              <div className={`lf-field${problems.length ? ' has-error' : ''}`} key={name} data-param={name}>
                {spec.kind !== 'boolean' && (
                  <label className="lf-field__label" htmlFor={inputId}>
                    {spec.label ?? name}
                    {spec.required && (
                      <span className="lf-required" title="required">
                        {' '}
                        *
                      </span>
                    )}
                  </label>
                )}
                <ParamField
                  name={name}
                  spec={spec}
                  value={params[name]}
                  onChange={(value) => setParam(node.id, name, value)}
                  nodeId={node.id}
                  nodeType={descriptor.type}
                  invalid={problems.length > 0}
                  readOnly={readOnly}
                  inputId={inputId}
                />
                {problems.map((p, i) => (
                  <p className="lf-field__error" key={i}>
                    {paramProblemText(p, name, descriptor)}
                  </p>
                ))}
                {spec.help && <p className="lf-help">{spec.help}</p>}
              </div>
            );
          })}
      </section>

      {descriptor.category !== 'trigger' && <NodeRun nodeId={node.id} />}

      {descriptor.category !== 'trigger' && (
        <details className="lf-panel__section">
          <summary>Timeout, retries and errors</summary>
          <SettingsFields
            node={node}
            descriptor={descriptor}
            readOnly={readOnly}
            onChange={(settings) => setNodeFields(node.id, { settings }, `settings:${node.id}`)}
          />
        </details>
      )}
    </div>
  );
}

function NameFields({ node, descriptor, readOnly }: { node: PanelNode; descriptor: NodeDescriptor; readOnly: boolean }) {
  const { setNodeFields } = flowEdits;
  const [id, setId] = useState(node.id);
  const [error, setError] = useState('');
  const applyId = () => {
    if (id === node.id) return;
    const problem = renameNode(node.id, id.trim());
    setError(problem ?? '');
    if (problem) setId(node.id);
  };
  return (
    <div className="lf-row lf-row--two">
      <div className="lf-field">
        <label className="lf-field__label" htmlFor={`label-${node.id}`}>
          Label
        </label>
        <input
          id={`label-${node.id}`}
          className="lf-input"
          value={node.data.label ?? ''}
          placeholder={descriptor.title}
          readOnly={readOnly}
          onChange={(e) => setNodeFields(node.id, { label: e.target.value })}
        />
      </div>
      <div className="lf-field">
        <label className="lf-field__label" htmlFor={`id-${node.id}`} title="Other nodes read this node's output as {{nodes.ID…}}">
          Id
        </label>
        <input
          id={`id-${node.id}`}
          className="lf-input lf-input--mono"
          value={id}
          readOnly={readOnly}
          onChange={(e) => setId(e.target.value)}
          onBlur={applyId}
          onKeyDown={(e) => e.key === 'Enter' && applyId()}
        />
        {error && <p className="lf-field__error">{error}</p>}
      </div>
    </div>
  );
}

function SettingsFields({
  node,
  descriptor,
  readOnly,
  onChange,
}: {
  node: PanelNode;
  descriptor: NodeDescriptor;
  readOnly: boolean;
  onChange(settings: NodeSettings): void;
}) {
  const settings = node.data.settings ?? {};
  const retry = settings.retry;
  const update = (patch: Partial<NodeSettings>) => {
    const next: NodeSettings = { ...settings, ...patch };
    for (const key of Object.keys(next) as (keyof NodeSettings)[]) if (next[key] === undefined) delete next[key];
    onChange(next);
  };
  return (
    <div className="lf-settings">
      <div className="lf-field">
        <label className="lf-field__label" htmlFor={`timeout-${node.id}`}>
          Time limit for this node (ms)
        </label>
        <input
          id={`timeout-${node.id}`}
          type="number"
          className="lf-input"
          min={1}
          max={600000}
          placeholder="default"
          value={settings.timeoutMs ?? ''}
          readOnly={readOnly}
          onChange={(e) => update({ timeoutMs: e.target.value === '' ? undefined : Math.round(Number(e.target.value)) })}
        />
      </div>
      <div className="lf-field">
        <label className="lf-check">
          <input
            type="checkbox"
            checked={!!retry}
            disabled={readOnly}
            onChange={(e) => update({ retry: e.target.checked ? { attempts: 3, backoffMs: 1000 } : undefined })}
          />
          Try again when it fails
        </label>
        {retry && (
          <div className="lf-row lf-row--two">
            <label className="lf-field">
              <span className="lf-field__label">Attempts</span>
              <input
                type="number"
                className="lf-input"
                min={1}
                max={10}
                value={retry.attempts}
                readOnly={readOnly}
                onChange={(e) => update({ retry: { ...retry, attempts: Math.max(1, Math.min(10, Number(e.target.value) || 1)) } })}
              />
            </label>
            <label className="lf-field">
              <span className="lf-field__label">Wait between (ms)</span>
              <input
                type="number"
                className="lf-input"
                min={0}
                max={60000}
                value={retry.backoffMs}
                readOnly={readOnly}
                onChange={(e) => update({ retry: { ...retry, backoffMs: Math.max(0, Math.min(60000, Number(e.target.value) || 0)) } })}
              />
            </label>
          </div>
        )}
        {retry && (
          <div className="lf-chips">
            {RETRY_ON.map((on) => (
              <label key={on} className="lf-check">
                <input
                  type="checkbox"
                  disabled={readOnly}
                  checked={(retry.on ?? RETRY_ON).includes(on)}
                  onChange={(e) => {
                    const current = retry.on ?? RETRY_ON;
                    const next = e.target.checked ? [...current, on] : current.filter((x) => x !== on);
                    update({ retry: { ...retry, on: next } });
                  }}
                />
                {on.replace('_', ' ')}
              </label>
            ))}
          </div>
        )}
      </div>
      <div className="lf-field">
        <label className="lf-field__label" htmlFor={`onerror-${node.id}`}>
          When it fails
        </label>
        <select
          id={`onerror-${node.id}`}
          className="lf-input"
          value={settings.onError ?? 'stop'}
          disabled={readOnly}
          onChange={(e) => update({ onError: e.target.value === 'stop' ? undefined : (e.target.value as OnError) })}
        >
          <option value="stop">stop the flow</option>
          <option value="continue">continue with the error as output</option>
          <option value="error-port">take the “error” exit</option>
        </select>
        <p className="lf-help">
          {descriptor.outputs.length > 1 ? `Besides its own exits (${descriptor.outputs.join(', ')}). ` : ''}A stopped lead delivery is
          retried later when the failure is temporary.
        </p>
      </div>
      <div className="lf-field">
        <label className="lf-field__label">
          <input
            type="checkbox"
            checked={settings.rerun === true}
            disabled={readOnly}
            onChange={(e) => update({ rerun: e.target.checked ? true : undefined })}
          />{' '}
          Always run again
        </label>
        <p className="lf-help">
          A delivery tried again continues after the steps that succeeded, reusing what they gave. Tick this for a step that must be made
          afresh each time (a signature with a timestamp, a login).
        </p>
      </div>
    </div>
  );
}
