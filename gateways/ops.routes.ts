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
  /** Null when metrics are switched off (KEFU_METRICS=off): /metrics answers 404. */
  metrics: (() => Promise<{ contentType: string; body: string }>) | null;
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
      const render = source.metrics;
      if (!render) return send(res, json(404, { code: 'METRICS_OFF', message: 'metrics are switched off on this node (KEFU_METRICS=off)', temporary: false }));
      respondAsync(
        res,
        async () => {
          const { contentType, body } = await render();
          return text(200, body, contentType);
        },
        source.onError,
      );
    });
  };
}
