/**
 * Turns a curl command into nodes of the open flow, in two steps the integrator sees: {@link planCurl}
 * says what the command becomes (nodes, the credentials that become secrets, what happens to the
 * integration's `base_url`), the dialog (`CurlDialog.tsx`) shows it, and {@link applyCurlPlan}
 * stores the secrets (and `base_url` when the integration has none) through the integrations API,
 * then puts the nodes in free space in view, wired after the selected node (or after the trigger
 * when nothing follows it yet).
 */
import { create } from 'zustand';
import type { IntegrationPatch, IntegrationView } from '../../../core/api.ts';
import { madeNow } from '../../../core/flow/operations.ts';
import { useEditor } from '../canvas/store.ts';
import { currentDoc } from '../canvas/document.ts';
import { connectNodes, paste } from '../canvas/commands.ts';
import type { Point } from '../canvas/layout.ts';
import { notify } from '../app/notices.ts';
import { CurlError } from './parse.ts';
import { curlToNodes, type CurlImport } from './to-nodes.ts';
import type { FoundSecret } from './credentials.ts';

/** The import dialog's state: closed, or open on a command (empty: to be typed) and the point it was pasted at. */
export const useCurlImport = create<{ open: { text: string; at?: Point } | null }>()(() => ({ open: null }));

/** Opens the import dialog; with a command (pasted onto the canvas) it opens on what the command becomes. */
export function openCurlImport(text = '', at?: Point): void {
  useCurlImport.setState({ open: { text, at } });
}

export function closeCurlImport(): void {
  useCurlImport.setState({ open: null });
}

/** What happens to the integration's `base_url`. */
export type BaseUrlPlan =
  | { action: 'set'; from: string }
  | { action: 'same'; from: string }
  | { action: 'differs'; from: string; current: string }
  | { action: 'none'; from: string };

/** What an import will do, shown before it is done. */
export interface CurlPlan {
  made: CurlImport;
  /** The integration the secrets go to; none when there is none yet. */
  integration?: IntegrationView;
  /** Each credential, and whether the integration already holds a secret of that name (which it replaces). */
  secrets: (FoundSecret & { replaces: boolean })[];
  baseUrl: BaseUrlPlan;
}

/** Reads the command and says what importing it into `integration` would do; a string says why it cannot be read. */
export function planCurl(command: string, integration: IntegrationView | undefined): CurlPlan | string {
  let made: CurlImport;
  try {
    made = curlToNodes(command);
  } catch (error) {
    return `Could not read the curl command: ${error instanceof CurlError ? error.message : String(error)}`;
  }
  const current = integration?.settings.base_url?.trim();
  const from = made.baseUrl;
  const baseUrl: BaseUrlPlan = !integration
    ? { action: 'none', from }
    : !current
      ? { action: 'set', from }
      : current.replace(/\/+$/, '') === from
        ? { action: 'same', from }
        : { action: 'differs', from, current };
  const secrets = made.secrets.map((s) => ({ ...s, replaces: !!integration && Object.hasOwn(integration.secrets, s.name) }));
  return { made, integration, secrets, baseUrl };
}

/** The integrations API call a plan needs, or undefined when it changes nothing there. */
export function integrationPatch(plan: CurlPlan): IntegrationPatch | undefined {
  if (!plan.integration) return undefined;
  const patch: IntegrationPatch = {};
  if (plan.secrets.length) patch.secrets = Object.fromEntries(plan.secrets.map((s) => [s.name, s.value]));
  // settings are replaced whole by the API: the others are sent as they are
  if (plan.baseUrl.action === 'set') patch.settings = { ...plan.integration.settings, base_url: plan.baseUrl.from };
  return Object.keys(patch).length ? patch : undefined;
}

/**
 * Stores what the plan keeps in the integration, then makes the nodes. Nothing is made when the
 * integration could not be changed, so a credential never ends up only in a notice.
 * @returns true when the nodes were made.
 */
export async function applyCurlPlan(
  plan: CurlPlan,
  update: (id: string, patch: IntegrationPatch) => Promise<unknown>,
  at?: Point,
): Promise<boolean> {
  const patch = integrationPatch(plan);
  if (patch && plan.integration) {
    try {
      await update(plan.integration.id, patch);
    } catch (error) {
      notify('error', `Nothing imported: the secrets could not be stored in ${plan.integration.name}: ${(error as Error).message}`);
      return false;
    }
  }
  if (!placeNodes(plan.made, at)) return false;
  const before = useEditor.getState();
  const names = plan.made.nodes.map((n) => before.descriptors.get(n.type)?.title ?? n.type).join(' → ');
  const said = [...plan.made.notes];
  if (plan.integration && plan.secrets.length)
    said.unshift(`Stored in ${plan.integration.name}'s secrets: ${plan.secrets.map((s) => s.name).join(', ')}.`);
  if (!plan.integration && plan.secrets.length)
    said.unshift(`Add these secrets to the integration: ${plan.secrets.map((s) => s.name).join(', ')} (their values were not kept).`);
  if (plan.baseUrl.action === 'set') said.unshift(`base_url of ${plan.integration?.name} set to ${plan.baseUrl.from}.`);
  if (plan.baseUrl.action === 'differs')
    said.unshift(`The request goes to ${plan.integration?.name}'s base_url, ${plan.baseUrl.current}, not ${plan.baseUrl.from}.`);
  notify('success', `Made ${names} from the curl command`, said);
  return true;
}

/** Puts the nodes in the open flow in free space in view, wired after the selected node or the trigger. */
function placeNodes(made: CurlImport, at?: Point): boolean {
  const before = useEditor.getState();
  const doc = currentDoc();
  if (!doc) return false;
  const selected = doc.nodes.filter((n) => before.selectedNodes.has(n.id));
  const trigger = doc.nodes.find((n) => before.descriptors.get(n.type)?.category === 'trigger');
  const from = selected.length === 1 ? selected[0] : trigger && !doc.edges.some((e) => e.source === trigger.id) ? trigger : undefined;
  const near = at ?? (from ? { x: from.position.x + 260, y: from.position.y } : undefined);
  // the nodes are written for their types as they are now
  const nodes = made.nodes.map((n) => madeNow(n, before.descriptors.get(n.type)));
  const rename = paste({ leadflow: 'nodes', nodes, edges: made.edges }, near);
  const first = rename.get(made.nodes[0].id);
  if (from && first) {
    const outputs = before.descriptors.get(from.type)?.outputs ?? ['out'];
    connectNodes({ source: from.id, sourceHandle: outputs[0] ?? 'out', target: first, targetHandle: 'in' });
  }
  // the body builder is what to check first
  if (first) useEditor.getState().selectOnly(first);
  return !!first;
}
