/** The audit log: `GET /api/audit?actor=&resourceType=&resourceId=&before=&limit=`, newest first. */
import { Router } from 'express';
import { AUDIT_RESOURCES, type AuditQuery, type AuditResource } from '../../core/domain/audit.ts';
import type { AuditAnswer } from '../../core/api.ts';
import { DomainError } from '../../core/domain/errors.ts';
import type { AuditLog } from '../services/audit.ts';
import { positive, text } from './params.ts';

function resourceType(value: unknown): AuditResource | undefined {
  const type = text(value);
  if (type === undefined || type === '') return undefined;
  if (!(AUDIT_RESOURCES as readonly string[]).includes(type)) {
    throw new DomainError('invalid_field', `must be one of ${AUDIT_RESOURCES.join(', ')}`, { field: 'resourceType' });
  }
  return type as AuditResource;
}

export function auditRoutes(audit: AuditLog): Router {
  const router = Router();

  router.get('/api/audit', async (req, res) => {
    const q = req.query;
    const query: AuditQuery = {
      actor: text(q.actor) || undefined,
      resourceType: resourceType(q.resourceType),
      resourceId: text(q.resourceId) || undefined,
      before: q.before === undefined || q.before === '' ? undefined : positive(q.before, 'before'),
      limit: q.limit === undefined || q.limit === '' ? undefined : positive(q.limit, 'limit'),
    };
    const answer: AuditAnswer = { entries: await audit.list(query) };
    res.json(answer);
  });

  return router;
}
