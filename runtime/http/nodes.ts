/** The node catalog: `GET /api/nodes`, every node type's descriptor. */
import { Router } from 'express';
import type { NodeRegistry } from '../engine/registry.ts';

export function nodeRoutes(registry: NodeRegistry): Router {
  const router = Router();
  router.get('/api/nodes', (_req, res) => {
    res.json({ nodes: registry.descriptors() });
  });
  return router;
}
