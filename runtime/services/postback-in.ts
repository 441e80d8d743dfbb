/**
 * Inbound postbacks: a target calls `/postback/:integration?token=…` with a lead's status; the
 * integration's `postback.in` flow finds the lead (by `oid` or `eid`) and moves it.
 */
import { timingSafeEqual } from 'node:crypto';
import type { ConfigStore } from '../store/types.ts';
import { DomainError } from '../../core/domain/errors.ts';
import type { FlowRunner } from './runs.ts';

export interface PostbackAnswer {
  status: number;
  body: unknown;
}

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export class InboundPostbacks {
  constructor(
    private readonly config: ConfigStore,
    private readonly runner: FlowRunner,
  ) {}

  async receive(integrationId: string, token: unknown, query: Record<string, unknown>, body: unknown): Promise<PostbackAnswer> {
    const integration = await this.config.getIntegration(integrationId);
    if (!integration) throw new DomainError('not_found', `no integration "${integrationId}"`, { field: 'integration' });
    if (typeof token !== 'string' || !integration.postbackToken || !sameToken(token, integration.postbackToken)) {
      throw new DomainError('unauthorized', 'missing or wrong token', { field: 'token' });
    }
    const { token: _token, ...rest } = query;
    const result = await this.runner.runPostback(integration, { query: rest, body: body ?? {} });
    if (result.response) return result.response;
    if (result.error) {
      const status = result.error.code === 'lead_not_found' ? 404 : 422;
      return { status, body: { ok: false, error: result.error.code, message: result.error.message, execution: result.execution.id } };
    }
    return { status: 200, body: { ok: true, execution: result.execution.id } };
  }
}
