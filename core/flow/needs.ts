/**
 * What a flow needs from its integration and offers: the settings, secrets and offer parameters
 * its templates name. Browser-safe: the editor and the runtime refuse to switch on an integration
 * that lacks one, with the same answer.
 */
import type { FlowDoc } from '../domain/flow.ts';
import { isTemplate, templatePaths } from '../template/template.ts';

export interface FlowNeeds {
  settings: string[];
  secrets: string[];
  offerParameters: string[];
}

/** The names a flow's templates read under `integration.settings`, `secrets` and `offer.params`. */
export function flowNeeds(flow: Pick<FlowDoc, 'nodes'>): FlowNeeds {
  const settings = new Set<string>();
  const secrets = new Set<string>();
  const offerParameters = new Set<string>();
  const visit = (value: unknown): void => {
    if (typeof value === 'string') {
      if (!isTemplate(value)) return;
      let paths;
      try {
        paths = templatePaths(value);
      } catch {
        return; // the validator reports a bad template
      }
      for (const [root, second, third] of paths) {
        if (root === 'secrets' && second !== undefined) secrets.add(String(second));
        if (root === 'integration' && second === 'settings' && third !== undefined) settings.add(String(third));
        if (root === 'offer' && second === 'params' && third !== undefined) offerParameters.add(String(third));
      }
    } else if (value !== null && typeof value === 'object') Object.values(value).forEach(visit);
  };
  for (const node of flow.nodes) visit(node.params);
  return { settings: [...settings].sort(), secrets: [...secrets].sort(), offerParameters: [...offerParameters].sort() };
}
