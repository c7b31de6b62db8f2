/**
 * `/api/v1/openapi.json` (the document) and `/api/v1/docs` (Swagger UI from the swagger-ui-dist
 * package, served from memory; its start-up script is a file, so the page needs no inline script).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { json, send } from '../http.ts';
import type { RouteModule } from '../server.ts';
import { openApiDocument } from './openapi.ts';
import type { Route } from './route.ts';

const SWAGGER_DIR = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Kefu REST API</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/api/v1/docs/swagger-ui.css">
</head>
<body>
<div id="docs"></div>
<script src="/api/v1/docs/swagger-ui-bundle.js"></script>
<script src="/api/v1/docs/start.js"></script>
</body>
</html>
`;

// Requests from the page carry the session cookie; "try it out" on state-changing routes also needs
// the CSRF token, which the page reads from GET /api/v1/session.
const START = `(async () => {
  let csrf = '';
  try { const r = await fetch('/api/v1/session'); if (r.ok) csrf = (await r.json()).csrfToken; } catch {}
  window.SwaggerUIBundle({
    url: '/api/v1/openapi.json', dom_id: '#docs', deepLinking: true,
    requestInterceptor: (req) => { if (csrf) req.headers['X-CSRF-Token'] = csrf; return req; },
  });
})();
`;

export function apiDocsRoutes(routes: readonly Route[], ownOrigin: () => string): RouteModule {
  const assets: Record<string, { type: string; body: Buffer | string }> = {
    'swagger-ui.css': { type: 'text/css; charset=utf-8', body: readFileSync(join(SWAGGER_DIR, 'swagger-ui.css')) },
    'swagger-ui-bundle.js': { type: 'text/javascript; charset=utf-8', body: readFileSync(join(SWAGGER_DIR, 'swagger-ui-bundle.js')) },
    'start.js': { type: 'text/javascript; charset=utf-8', body: START },
  };
  let document: string | null = null;
  return (app) => {
    app.get('/api/v1/openapi.json', (res) => {
      document ??= JSON.stringify(openApiDocument(routes, `${ownOrigin()}/`));
      send(res, { ...json(200, null), body: document });
    });
    app.get('/api/v1/docs', (res) =>
      send(res, {
        status: 200,
        body: PAGE,
        headers: {
          'content-type': 'text/html; charset=utf-8',
          'cache-control': 'no-cache',
          'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
        },
      }),
    );
    for (const [name, asset] of Object.entries(assets)) {
      app.get(`/api/v1/docs/${name}`, (res) => send(res, { status: 200, body: asset.body, headers: { 'content-type': asset.type, 'cache-control': 'public, max-age=3600' } }));
    }
  };
}
