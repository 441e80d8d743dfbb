/**
 * The lead's fields as templates name them, with what each holds; typed against the runtime's
 * `Lead`, so a field added there must be described here. (The sample lead of a test run is the
 * kernel's: `sampleLeadFor` in core/domain/sample-lead.ts.)
 */
import type { Lead } from '../../../core/domain/lead.ts';

export const LEAD_FIELDS: Record<keyof Lead, string> = {
  id: 'Our id of the lead (oid)',
  offer: 'Offer id',
  wm: 'Webmaster id',
  flow: "Webmaster's stream",
  name: "Buyer's name",
  phone: 'Phone as sent; {{lead.phone | digits}} keeps only digits',
  phoneE164: 'Phone in E.164 (+4915123456780), read against the country; empty when it could not be read',
  email: 'E-mail',
  country: 'Country, two letters (DE)',
  ip: "Buyer's IP address",
  ua: "Buyer's browser (user agent)",
  city: 'City',
  region: 'Region or state',
  street: 'Street',
  zip: 'Postal code',
  address: 'Address in one line',
  comment: "Buyer's comment",
  subid: "Click id of the webmaster's tracker",
  sub1: 'Sub id 1',
  sub2: 'Sub id 2',
  sub3: 'Sub id 3',
  sub4: 'Sub id 4',
  sub5: 'Sub id 5',
  utm_source: 'utm_source',
  utm_medium: 'utm_medium',
  utm_campaign: 'utm_campaign',
  utm_content: 'utm_content',
  utm_term: 'utm_term',
  order_id: "The caller's own order id (a repeat of it from the same source is the same lead)",
  meta: 'Custom fields: {{lead.meta.NAME}}',
  goods: 'Products: list of { product, count, price }',
  integration: 'Integration id',
  source: 'The source whose intake key posted the lead',
  delivery_key:
    'Idempotency key of this send: the same for every retry of this lead and event, different for another lead or event; send it as the order id or Idempotency-Key header where the target takes one',
  stage: 'Our stage: new, wait, hold, approve, cancel, trash',
  eid: "The lead's id in the target",
  status: "The target's raw status text",
  statusCode: "The target's raw status code, beside its text",
  reason: 'Cancel reason',
  statusComment: "The target's operator comment",
  payout: 'Payout',
  created_at: 'When the lead came in; {{lead.created_at | date:"Y-m-d H:i:s"}}',
  updated_at: 'When the lead last changed',
};
