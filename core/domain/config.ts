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
 * Who posts leads. A `webmaster` source is one webmaster: every lead it posts is that webmaster's,
 * whatever its body says. A `network` source is an upstream network posting on behalf of its own
 * webmasters: its leads name their `wm`, from `webmasters` when that list is given.
 */
export type SourceKind = 'webmaster' | 'network';

export const SOURCE_KINDS: readonly SourceKind[] = ['webmaster', 'network'];

/**
 * One intake key of a source, as stored: never the key itself, only its SHA-256 (see
 * `runtime/services/sources.ts` for why an unsalted fast hash is right for a 256-bit random key).
 */
export interface SourceKey {
  /** The key's own id (not part of the key), for revoking it. */
  id: string;
  /** SHA-256 of the key, hex. */
  hash: string;
  /** The key's first characters (`lfk_AbCd`), so people can tell keys apart; far too short to guess the rest from. */
  hint: string;
  created_at: string;
  /** Set when a rotation gave it a grace period: the key stops working at this time. */
  expires_at?: string;
}

/** A poster of leads and its intake keys. */
export interface Source {
  id: string;
  name?: string;
  kind: SourceKind;
  /** A webmaster source's webmaster: the `wm` of every lead it posts. */
  webmaster?: string;
  /** A network source: the `wm` values its leads may carry; unset or empty: any. */
  webmasters?: string[];
  /** The offers its keys may post leads for: ids, or `'*'` for every offer. */
  offers: string[] | '*';
  keys: SourceKey[];
  created_at: string;
  updated_at: string;
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
