/**
 * Configuration the network's staff edit: offers, integrations, webmasters, flows. Plain types only.
 */

/** The events that start a flow. See DESIGN.md, "Events". */
export type FlowEvent =
  'lead.new' | 'lead.update' | 'lead.approved' | 'lead.register' | 'status.processing' | 'status.approved' | 'status.range' | 'postback.in';

export const FLOW_EVENTS: readonly FlowEvent[] = [
  'lead.new',
  'lead.update',
  'lead.approved',
  'lead.register',
  'status.processing',
  'status.approved',
  'status.range',
  'postback.in',
];

/** Custom fields; `key-de` wins over `key` for a German lead (see {@link offerParameters}). */
export type Parameters = Record<string, string>;

export interface OfferGoal {
  id: string;
  name?: string;
  parameters?: Parameters;
}

export interface OfferProduct {
  id: string;
  name?: string;
  price?: number;
  parameters?: Parameters;
}

/** A product on sale. */
export interface Offer {
  id: string;
  name: string;
  parameters: Parameters;
  goals: OfferGoal[];
  products: OfferProduct[];
}

/**
 * The connection to one target. `secrets` hold credentials: they are stored here, reach only the
 * nodes that declare they need them, and never leave the runtime (API answers show their names).
 */
export interface Integration {
  id: string;
  name: string;
  enabled: boolean;
  settings: Record<string, string>;
  secrets: Record<string, string>;
  /** Ids of the offers whose leads this integration delivers. */
  offers: string[];
  /** One flow per event it handles: event → flow id. */
  flows: Partial<Record<FlowEvent, string>>;
  /** The token a target must send to `/postback/:integration`. */
  postbackToken: string;
  /** Requests per second its flows may send to the target; unset or 0: no limit. */
  rateLimit?: number;
  /**
   * The hosts a request carrying one of `secrets` may go to: `host` (any port), `host:port` or
   * `*.domain`. Unset or empty: the host of the `base_url` setting (with its port, if it names one).
   */
  allowedHosts?: string[];
}

/** A webmaster and where his tracker takes postbacks. */
export interface Webmaster {
  id: string;
  name?: string;
  /** URL template with macros such as `{subid}`, `{stage}`; empty: no postbacks. */
  postbackUrl?: string;
  /** Per stream (the lead's `flow`): a URL that replaces `postbackUrl` for that stream's leads. */
  streamPostbackUrls?: Record<string, string>;
}

/**
 * Resolves an offer's parameters for a lead's country: `key-de` wins over `key` for a lead from `de`.
 * Every key also stays under its own full name, so a key that merely ends like a country code
 * (`stream-id`) is never lost.
 */
export function offerParameters(parameters: Parameters | undefined, country: string | undefined): Parameters {
  const result: Parameters = { ...parameters };
  if (!parameters || !country) return result;
  const suffix = `-${country.toLowerCase()}`;
  for (const [key, value] of Object.entries(parameters)) {
    if (key.length > suffix.length && key.toLowerCase().endsWith(suffix)) result[key.slice(0, -suffix.length)] = value;
  }
  return result;
}
