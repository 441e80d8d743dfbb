/**
 * Offers (with their parameters, goals and products) and webmasters (with their postback URL),
 * checked on write.
 */
import { Ajv, type ErrorObject } from 'ajv';
import type { ConfigStore } from '../store/types.ts';
import type { Offer, Webmaster } from '../domain/config.ts';
import { DomainError } from '../domain/errors.ts';

const ajv = new Ajv({ allErrors: false, strict: false, useDefaults: true });
const ID = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' };
const PARAMETERS = { type: 'object', additionalProperties: { type: 'string' }, default: {} };

const checkOffer = ajv.compile<Offer>({
  type: 'object',
  required: ['id', 'name'],
  additionalProperties: false,
  properties: {
    id: ID,
    name: { type: 'string', minLength: 1, maxLength: 200 },
    parameters: PARAMETERS,
    goals: {
      type: 'array',
      default: [],
      items: { type: 'object', required: ['id'], additionalProperties: false, properties: { id: ID, name: { type: 'string' }, parameters: PARAMETERS } },
    },
    products: {
      type: 'array',
      default: [],
      items: {
        type: 'object',
        required: ['id'],
        additionalProperties: false,
        properties: { id: ID, name: { type: 'string' }, price: { type: 'number', minimum: 0 }, parameters: PARAMETERS },
      },
    },
  },
});

const checkWebmaster = ajv.compile<Webmaster>({
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  properties: {
    id: ID,
    name: { type: 'string', maxLength: 200 },
    postbackUrl: { type: 'string', pattern: '^(https?://.+)?$' },
    streamPostbackUrls: { type: 'object', additionalProperties: { type: 'string', pattern: '^https?://.+$' } },
  },
});

function invalid(errors: ErrorObject[] | null | undefined, what: string): DomainError {
  const error = (errors ?? [])[0];
  const path = error ? error.instancePath.split('/').slice(1).join('.') : '';
  const extra = error?.keyword === 'required' ? error.params.missingProperty : error?.keyword === 'additionalProperties' ? error.params.additionalProperty : undefined;
  const field = [path, extra].filter(Boolean).join('.') || `(${what})`;
  const message =
    error?.keyword === 'required' ? 'is required' : error?.keyword === 'additionalProperties' ? `is not a field of ${what === 'offer' ? 'an offer' : 'a webmaster'}` : error?.keyword === 'pattern' && /postbackUrl|streamPostbackUrls/.test(field) ? 'must be an http(s) URL' : (error?.message ?? 'is invalid');
  return new DomainError('invalid_field', message, { field });
}

export class OfferService {
  constructor(private readonly config: ConfigStore) {}

  list(): Promise<Offer[]> {
    return this.config.listOffers();
  }

  async get(id: string): Promise<Offer> {
    const offer = await this.config.getOffer(id);
    if (!offer) throw new DomainError('not_found', `no offer "${id}"`, { field: 'id' });
    return offer;
  }

  /** Creates or replaces an offer. */
  async put(body: unknown, id?: string): Promise<Offer> {
    const offer = structuredClone(body) as Offer;
    if (id !== undefined && offer && typeof offer === 'object' && offer.id === undefined) offer.id = id;
    if (!checkOffer(offer)) throw invalid(checkOffer.errors, 'offer');
    if (id !== undefined && offer.id !== id) throw new DomainError('invalid_field', 'does not match the URL', { field: 'id' });
    await this.config.putOffer(offer);
    return offer;
  }

  async remove(id: string): Promise<void> {
    if (!(await this.config.deleteOffer(id))) throw new DomainError('not_found', `no offer "${id}"`, { field: 'id' });
  }

  listWebmasters(): Promise<Webmaster[]> {
    return this.config.listWebmasters();
  }

  async getWebmaster(id: string): Promise<Webmaster> {
    const webmaster = await this.config.getWebmaster(id);
    if (!webmaster) throw new DomainError('not_found', `no webmaster "${id}"`, { field: 'id' });
    return webmaster;
  }

  async putWebmaster(body: unknown, id?: string): Promise<Webmaster> {
    const webmaster = structuredClone(body) as Webmaster;
    if (id !== undefined && webmaster && typeof webmaster === 'object' && webmaster.id === undefined) webmaster.id = id;
    if (!checkWebmaster(webmaster)) throw invalid(checkWebmaster.errors, 'webmaster');
    if (id !== undefined && webmaster.id !== id) throw new DomainError('invalid_field', 'does not match the URL', { field: 'id' });
    await this.config.putWebmaster(webmaster);
    return webmaster;
  }

  async removeWebmaster(id: string): Promise<void> {
    if (!(await this.config.deleteWebmaster(id))) throw new DomainError('not_found', `no webmaster "${id}"`, { field: 'id' });
  }
}
