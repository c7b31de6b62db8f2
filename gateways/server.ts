/**
 * The one uWebSockets.js app of a node: HTTP and WebSocket share one port (8035 by default), so a
 * TLS-terminating reverse proxy in front needs a single upstream. Every node listens — actor and
 * worker nodes serve only the operations routes (`/health`, `/ready`, `/metrics`); gateway nodes
 * add the web UI and, later, the visitor and agent WebSockets and the REST API.
 */
import { App, us_socket_local_port, type TemplatedApp, type us_listen_socket } from 'uWebSockets.js';
import { json, send } from './http.ts';

export type RouteModule = (app: TemplatedApp) => void;

export type HttpServer = {
  /** The port actually bound (differs from the requested one when that was 0). */
  readonly port: number;
  /**
   * Stops listening and closes every open connection (idle keep-alive ones included), so a stopped
   * node holds no socket. Graceful draining of WebSockets (tell clients to reconnect elsewhere
   * first) is the gateways' job before they call this.
   */
  close(): void;
};

export function startHttpServer(options: { host: string; port: number; routes: readonly RouteModule[] }): Promise<HttpServer> {
  const app = App();
  for (const register of options.routes) register(app);
  app.any('/*', (res) => send(res, json(404, { code: 'NOT_FOUND', message: 'no such route', temporary: false })));

  return new Promise((resolve, reject) => {
    app.listen(options.host, options.port, (socket: us_listen_socket | false) => {
      if (!socket) {
        reject(new Error(`KEFU_PORT: cannot listen on ${options.host}:${options.port} (in use, or not permitted)`));
        return;
      }
      let open = true;
      resolve({
        port: us_socket_local_port(socket),
        close() {
          if (open) app.close();
          open = false;
        },
      });
    });
  });
}
