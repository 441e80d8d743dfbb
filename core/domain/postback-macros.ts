/**
 * Outgoing postbacks to a webmaster's tracker: the macros a postback URL may hold, what each one
 * means, and how a URL is expanded for a lead. The runtime's postback sender expands URLs with
 * {@link expandPostbackUrl}; the editor lists {@link POSTBACK_MACROS} beside every postback URL.
 */
import type { Lead } from './lead.ts';
import type { Webmaster } from './config.ts';

/** One macro: its name (written `{name}` in a URL) and what it is replaced with. */
export interface PostbackMacro {
  name: string;
  meaning: string;
}

/**
 * The macros a postback URL may hold, e.g. `https://tracker/pb?click={subid}&status={stage}`.
 * A `{word}` not in this list stays in the URL as written.
 */
export const POSTBACK_MACROS: readonly PostbackMacro[] = [
  { name: 'id', meaning: 'our id of the lead' },
  { name: 'eid', meaning: 'the lead’s id at the target (advertiser)' },
  { name: 'offer', meaning: 'the offer id' },
  { name: 'wm', meaning: 'the webmaster id' },
  { name: 'flow', meaning: 'the webmaster’s stream (flow) id' },
  { name: 'stage', meaning: 'our stage: new, wait, hold, approve, cancel or trash' },
  { name: 'status', meaning: 'the target’s own status text' },
  { name: 'reason', meaning: 'why the lead was cancelled, when it was' },
  { name: 'comment', meaning: 'the target operator’s comment' },
  { name: 'payout', meaning: 'the payout for the lead' },
  { name: 'currency', meaning: 'the payout’s currency (the offer’s currency parameter)' },
  { name: 'country', meaning: 'the lead’s country code' },
  { name: 'subid', meaning: 'the click id the webmaster’s tracker sent with the lead' },
  { name: 'sub1', meaning: 'sub1 as the lead was sent' },
  { name: 'sub2', meaning: 'sub2 as the lead was sent' },
  { name: 'sub3', meaning: 'sub3 as the lead was sent' },
  { name: 'sub4', meaning: 'sub4 as the lead was sent' },
  { name: 'sub5', meaning: 'sub5 as the lead was sent' },
  { name: 'utm_source', meaning: 'utm_source as the lead was sent' },
  { name: 'utm_medium', meaning: 'utm_medium as the lead was sent' },
  { name: 'utm_campaign', meaning: 'utm_campaign as the lead was sent' },
  { name: 'utm_content', meaning: 'utm_content as the lead was sent' },
  { name: 'utm_term', meaning: 'utm_term as the lead was sent' },
];

const MACRO_NAMES: ReadonlySet<string> = new Set(POSTBACK_MACROS.map((m) => m.name));

/** What a stage change carries into a postback beside the lead's own fields. */
export interface PostbackChange {
  stage?: string;
  status?: string;
  payout?: number;
  currency?: string;
}

/**
 * Expands `{macro}`s with URL-encoded values; unknown `{words}` stay as written.
 * @example expandPostbackUrl('https://t.example/pb?c={subid}&s={stage}', lead, { stage: 'approve' }) // 'https://t.example/pb?c=click-1&s=approve'
 */
export function expandPostbackUrl(url: string, lead: Lead, change: PostbackChange): string {
  const values: Record<string, unknown> = {
    ...lead,
    id: lead.id,
    comment: lead.statusComment,
    stage: change.stage ?? lead.stage,
    status: change.status ?? lead.status,
    payout: change.payout ?? lead.payout,
    currency: change.currency ?? lead.meta?.currency,
  };
  return url.replace(/\{([a-z0-9_]+)\}/gi, (whole, name: string) =>
    MACRO_NAMES.has(name) ? encodeURIComponent(String(values[name] ?? '')) : whole,
  );
}

/** The `{words}` of a URL that are not macros (a typo such as `{sub_id}`), each named once. */
export function unknownMacros(url: string): string[] {
  const found = [...url.matchAll(/\{([a-z0-9_]+)\}/gi)].map((m) => m[1]).filter((name) => !MACRO_NAMES.has(name));
  return [...new Set(found)];
}

/** Where a webmaster wants a lead's postbacks: his URL for the lead's stream (`flow`) if he set one. */
export function postbackUrlFor(webmaster: Webmaster | undefined, lead: Pick<Lead, 'flow'>): string | undefined {
  if (!webmaster) return undefined;
  return (lead.flow && webmaster.streamPostbackUrls?.[lead.flow]) || webmaster.postbackUrl || undefined;
}
