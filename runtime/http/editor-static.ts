/**
 * The built editor (`editor/dist`), compressed (brotli or gzip, as the browser accepts) and cached
 * the way Vite's output allows: files under `/assets/` carry a hash of their content in their name
 * (`index-BnSvfMGM.js`), so a browser keeps them for a year without asking again; `index.html`
 * names the current ones and is checked on every load (`no-cache`), so a new build is picked up
 * at once. Only the editor's files are compressed here: API answers are small JSON.
 */
import compression from 'compression';
import express, { Router } from 'express';
import path from 'node:path';

/** Vite's hashed output: `assets/NAME-HASH.EXT` (the hash: 8 base64url characters). */
const HASHED_ASSET = /^\/assets\/.+-[A-Za-z0-9_-]{8}\.(js|css|woff2?|svg|png)$/;

/** The Cache-Control of a hashed asset: kept a year, never revalidated. */
export const IMMUTABLE = 'public, max-age=31536000, immutable';

export function editorStaticRoutes(dist: string): Router {
  const router = Router();
  router.use(compression({ threshold: 1024 }));
  router.use(
    express.static(dist, {
      index: 'index.html',
      setHeaders(res, file) {
        const served = '/' + path.relative(dist, file).split(path.sep).join('/');
        res.setHeader('Cache-Control', HASHED_ASSET.test(served) ? IMMUTABLE : 'no-cache');
      },
    }),
  );
  return router;
}
