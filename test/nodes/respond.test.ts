import { describe, expect, it } from 'vitest';
import { respond } from '../../nodes/respond.ts';
import { runNode } from './context.ts';

describe('Respond', () => {
  it('answers the waiting caller with the lead id and stage by default', async () => {
    const input = { any: 'thing' };
    const run = await runNode(respond, { event: 'lead.register', input });
    expect(run.responses).toEqual([{ status: 200, body: { id: 42, stage: 'new' } }]);
    expect(run.result.output).toBe(input);
  });

  it('answers with the status and JSON body given, rendered from earlier nodes', async () => {
    const run = await runNode(respond, {
      event: 'lead.register',
      nodes: { http: { body: { autologin: 'https://crm.example.com/a/xyz' } } },
      params: { status: 201, body: { url: '{{nodes.http.body.autologin}}', ok: true } },
    });
    expect(run.responses).toEqual([{ status: 201, body: { url: 'https://crm.example.com/a/xyz', ok: true } }]);
  });

  it('a status outside 100..599 is an error', async () => {
    const run = runNode(respond, { params: { status: 42 } });
    await expect(run).rejects.toThrow(/100 to 599/);
  });
});
