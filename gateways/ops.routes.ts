/**
 * Operations endpoints, served by every node whatever its roles:
 *   GET /health   liveness — the process runs and its event loop answers (200 while alive)
 *   GET /ready    readiness — start-up finished and every dependency answers (200, else 503)
 *   GET /metrics  Prometheus text exposition (prom-client + Moleculer metrics, one registry)
 */
import type { RouteModule } from './server.ts';
import { json, respondAsync, send, text } from './http.ts';

export type Readiness = { readonly ready: boolean; readonly checks: Readonly<Record<string, string>> };

export type OpsSource = {
  readonly node: string;
  readonly mode: string;
  readiness(): Promise<Readiness>;
  metrics(): Promise<{ contentType: string; body: string }>;
  onError(error: unknown): void;
};

export function opsRoutes(source: OpsSource): RouteModule {
  return (app) => {
    app.get('/health', (res) => {
      send(res, json(200, { status: 'ok', node: source.node, mode: source.mode, uptimeSeconds: Math.round(process.uptime()) }));
    });
    app.get('/ready', (res) => {
      respondAsync(
        res,
        async () => {
          const { ready, checks } = await source.readiness();
          return json(ready ? 200 : 503, { status: ready ? 'ready' : 'not-ready', node: source.node, checks });
        },
        source.onError,
      );
    });
    app.get('/metrics', (res) => {
      respondAsync(
        res,
        async () => {
          const { contentType, body } = await source.metrics();
          return text(200, body, contentType);
        },
        source.onError,
      );
    });
  };
}
