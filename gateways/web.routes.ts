/**
 * Serves the web UI's built files (`web/public/`) from memory. Files are read once at start-up
 * and looked up by exact path, so no request path ever reaches the file system. The workstation
 * (`/app/`) is a single-page app: any other path under `/app/` answers its `index.html`, and its
 * content-hashed files under `/app/assets/` may be cached for good.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RouteModule } from './server.ts';
import { send } from './http.ts';

const WEB_ROOT = fileURLToPath(new URL('../web/public/', import.meta.url));

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
};

function loadFiles(dir: string, prefix = '/'): Map<string, { type: string; body: Buffer }> {
  const files = new Map<string, { type: string; body: Buffer }>();
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      for (const [k, v] of loadFiles(path, `${prefix}${entry.name}/`)) files.set(k, v);
    } else {
      const type = CONTENT_TYPES[extname(entry.name)];
      if (type) files.set(`${prefix}${entry.name}`, { type, body: readFileSync(path) });
    }
  }
  return files;
}

export function webRoutes(): RouteModule {
  const files = loadFiles(WEB_ROOT);
  return (app) => {
    for (const [path, file] of files) {
      const headers = {
        'content-type': file.type,
        'cache-control': path.startsWith('/app/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
        'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
      };
      const serve: Parameters<typeof app.get>[1] = (res) => send(res, { status: 200, body: file.body, headers });
      app.get(path, serve);
      if (path.endsWith('/index.html')) {
        const dir = path.slice(0, -'index.html'.length);
        app.get(dir, serve);
        // `/setup` as well as `/setup/` (what the start-up banner prints).
        if (dir !== '/') app.get(dir.slice(0, -1), serve);
        if (dir === '/app/') app.get('/app/*', serve);
      }
    }
  };
}
