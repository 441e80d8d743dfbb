import { describe, expect, it } from 'vitest';
import { extract } from '../../nodes/extract.ts';
import { runNode } from './context.ts';

const answer = { status: 200, ok: true, body: { order_id: 'E-77', data: [{ status: 'processing', comment: '' }] } };

describe('Extract', () => {
  it('names values found by paths into the answer of the node before', async () => {
    const { result } = await runNode(extract, {
      input: answer,
      params: {
        fields: [
          { key: 'eid', value: 'body.order_id' },
          { key: 'status', value: 'body.data[0].status' },
        ],
      },
    });
    expect(result.port ?? 'out').toBe('out');
    expect(result.output).toEqual({ eid: 'E-77', status: 'processing' });
  });

  it('reads eid and status from body.id and body.status by default', async () => {
    const { result } = await runNode(extract, { input: { body: { id: 5, status: 'ok' } } });
    expect(result.output).toEqual({ eid: 5, status: 'ok' });
  });

  it('reads from another node when told to, and an empty path takes the whole value', async () => {
    const { result } = await runNode(extract, {
      input: 'unused',
      nodes: { http: answer },
      params: {
        from: '{{nodes.http.body.data[0]}}',
        fields: [
          { key: 'status', value: 'status' },
          { key: 'all', value: '' },
        ],
      },
    });
    expect(result.output).toEqual({ status: 'processing', all: { status: 'processing', comment: '' } });
  });

  it('a required field that is missing or empty takes the missing port, naming it', async () => {
    const { result } = await runNode(extract, {
      input: answer,
      params: {
        fields: [
          { key: 'eid', value: 'body.id' },
          { key: 'comment', value: 'body.data[0].comment' },
          { key: 'status', value: 'body.data[0].status' },
        ],
        required: 'eid, comment ,status',
      },
    });
    expect(result.port).toBe('missing');
    expect(result.output).toEqual({ eid: undefined, comment: '', status: 'processing', missing: ['eid', 'comment'] });
    expect(result.failure).toEqual({ code: 'missing_field', message: 'missing in the answer: eid, comment', retryable: false });
  });

  it('fields present and not empty pass the required check', async () => {
    const { result } = await runNode(extract, {
      input: answer,
      params: { fields: [{ key: 'eid', value: 'body.order_id' }], required: 'eid' },
    });
    expect(result.port ?? 'out').toBe('out');
    expect(result.failure).toBeUndefined();
  });

  it('a path that is not a path is an error naming the field', async () => {
    await expect(runNode(extract, { input: answer, params: { fields: [{ key: 'eid', value: 'body..id' }] } })).rejects.toThrow(
      /field "eid"/,
    );
  });
});
