/**
 * The sandbox targets, one per kind of target a template is made for, by kind. `npm start` runs
 * them all beside the demo CRM, on consecutive ports, so every template can be tried offline;
 * the tests start them on port 0.
 *
 * Each entry knows what an integration made from its template needs to reach it: the settings,
 * the secrets (sandbox credentials, not secret) and the offer parameters.
 */
import { startAffiliateNetwork } from './affiliate-network.ts';
import { startAlterCpa } from './altercpa.ts';
import { startClassicCrm } from './classic-crm.ts';
import { startFinancialCrm } from './financial-crm.ts';
import { startFinancialNetwork } from './financial-network.ts';
import { startFulfilmentCrm } from './fulfilment-crm.ts';

export type SandboxKind = 'altercpa' | 'affiliate-network' | 'classic-crm' | 'financial-network' | 'financial-crm' | 'fulfilment-crm';

export interface SandboxOptions {
  /** Time between two status steps of a lead. */
  stepMs?: number;
  host?: string;
}

/** A running sandbox target and what to fill in to reach it. */
export interface SandboxTarget {
  kind: SandboxKind;
  title: string;
  url: string;
  settings: Record<string, string>;
  secrets: Record<string, string>;
  offerParameters: Record<string, string>;
  /** Where the target sends postbacks, for the kinds that send them. */
  setPostbackUrl?(url: string | undefined): void;
  close(): Promise<void>;
}

/** The sandbox's credentials: the targets check them as real ones would. */
export const SANDBOX_CREDENTIALS = {
  altercpa: { user: '17', key: 'sandbox0a1b2c3d4e5f' },
  'affiliate-network': { apiKey: 'aff-sandbox-key-8c1d' },
  'classic-crm': { apiKey: 'crm-sandbox-key-42f0' },
  'financial-network': { apiKey: 'fin-sandbox-key-77ab' },
  'financial-crm': { username: 'sandbox-affiliate', password: 'sandbox-pass-93e1' },
  'fulfilment-crm': { apiKey: 'ful-sandbox-key-5d2e' },
} as const;

export const SANDBOXES: Record<SandboxKind, { title: string; start(port: number, options?: SandboxOptions): Promise<SandboxTarget> }> = {
  altercpa: {
    title: 'AlterCPA-based network',
    async start(port, { stepMs, host } = {}) {
      const { user, key } = SANDBOX_CREDENTIALS.altercpa;
      const target = await startAlterCpa(port, { user, key, stepMs }, host);
      return {
        kind: 'altercpa',
        title: this.title,
        url: target.url,
        settings: { base_url: target.url, user_id: user },
        secrets: { api_key: key },
        offerParameters: { altercpa_offer: '25' },
        setPostbackUrl: target.setPostbackUrl,
        close: target.close,
      };
    },
  },
  'affiliate-network': {
    title: 'Affiliate network',
    async start(port, { stepMs, host } = {}) {
      const { apiKey } = SANDBOX_CREDENTIALS['affiliate-network'];
      const target = await startAffiliateNetwork(port, { apiKey, stepMs, offers: { '310': ['s-77', 's-78'] } }, host);
      return {
        kind: 'affiliate-network',
        title: this.title,
        url: target.url,
        settings: { base_url: target.url },
        secrets: { api_key: apiKey },
        offerParameters: { network_offer_id: '310', network_stream_id: 's-77' },
        close: target.close,
      };
    },
  },
  'classic-crm': {
    title: 'Classic CRM',
    async start(port, { stepMs, host } = {}) {
      const { apiKey } = SANDBOX_CREDENTIALS['classic-crm'];
      const target = await startClassicCrm(port, { apiKey, stepMs }, host);
      return {
        kind: 'classic-crm',
        title: this.title,
        url: target.url,
        settings: { base_url: target.url },
        secrets: { api_key: apiKey },
        offerParameters: { crm_product_id: 'SKU-TEA-1', crm_price: '39' },
        close: target.close,
      };
    },
  },
  'financial-network': {
    title: 'Financial network',
    async start(port, { stepMs, host } = {}) {
      const { apiKey } = SANDBOX_CREDENTIALS['financial-network'];
      const target = await startFinancialNetwork(port, { apiKey, stepMs }, host);
      return {
        kind: 'financial-network',
        title: this.title,
        url: target.url,
        settings: { base_url: target.url },
        secrets: { api_key: apiKey },
        offerParameters: { landing_url: 'https://invest.example.com/start', offer_group: 'crypto-de' },
        setPostbackUrl: target.setPostbackUrl,
        close: target.close,
      };
    },
  },
  'financial-crm': {
    title: 'Financial CRM',
    async start(port, { stepMs, host } = {}) {
      const { username, password } = SANDBOX_CREDENTIALS['financial-crm'];
      const target = await startFinancialCrm(port, { username, password, stepMs }, host);
      return {
        kind: 'financial-crm',
        title: this.title,
        url: target.url,
        settings: { base_url: target.url },
        secrets: { username, password },
        offerParameters: { campaign: 'btc-evergreen' },
        close: target.close,
      };
    },
  },
  'fulfilment-crm': {
    title: 'Fulfilment CRM',
    async start(port, { stepMs, host } = {}) {
      const { apiKey } = SANDBOX_CREDENTIALS['fulfilment-crm'];
      const target = await startFulfilmentCrm(port, { apiKey, stepMs }, host);
      return {
        kind: 'fulfilment-crm',
        title: this.title,
        url: target.url,
        settings: { base_url: target.url },
        secrets: { api_key: apiKey },
        offerParameters: { fulfil_sku: 'TEA-500G' },
        setPostbackUrl: target.setPostbackUrl,
        close: target.close,
      };
    },
  },
};

/** Starts every sandbox target on consecutive ports from `firstPort`, in the order of {@link SANDBOXES}. */
export async function startSandboxTargets(firstPort: number, options: SandboxOptions = {}): Promise<SandboxTarget[]> {
  const started: SandboxTarget[] = [];
  for (const [i, entry] of Object.values(SANDBOXES).entries()) started.push(await entry.start(firstPort + i, options));
  return started;
}
