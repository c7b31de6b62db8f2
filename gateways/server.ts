/**
 * The one uWebSockets.js app of a node: HTTP and WebSocket share one port (8035 by default), so a
 * TLS-terminating reverse proxy in front needs a single upstream. Every node listens — actor and
 * worker nodes serve only the operations routes (`/health`, `/ready`, `/metrics`); gateway nodes
 * add the web UI and, later, the visitor and agent WebSockets and the REST API.
 */
import { connect } from 'node:net';
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

export async function startHttpServer(options: { host: string; port: number; routes: readonly RouteModule[] }): Promise<HttpServer> {
  if (options.port !== 0) await ensurePortFree(options.host, options.port);
  const app = App();
  for (const register of options.routes) register(app);
  app.any('/*', (res) => send(res, json(404, { code: 'NOT_FOUND', message: 'no such route', temporary: false })));

  return new Promise((resolve, reject) => {
    app.listen(options.host, options.port, (socket: us_listen_socket | false) => {
      if (!socket) {
        reject(portError(options.host, options.port));
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

const portError = (host: string, port: number) => new Error(`KEFU_PORT: cannot listen on ${host}:${port} (in use, or not permitted)`);

/**
 * uSockets listens with SO_REUSEPORT, so a second Kefu started on a taken port would silently share
 * it (each process getting some of the connections, both writing one data directory). Its exclusive
 * mode is no cure: it also drops the reuse of ports held by old connections in TIME_WAIT, so a node
 * restarted within a minute could not bind. Binding a probe socket fails the same way. So: if a
 * connection to the port is answered, someone listens there, and this node does not start. (Two
 * nodes started at the very same instant can still both pass.)
 */
function ensurePortFree(host: string, port: number): Promise<void> {
  const target = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return new Promise((resolve, reject) => {
    const socket = connect({ host: target, port });
    socket.setTimeout(1_000);
    socket.once('connect', () => {
      socket.destroy();
      reject(portError(host, port));
    });
    // Refused (nobody listens), unreachable or silent: the listen below has the last word.
    socket.once('error', () => resolve());
    socket.once('timeout', () => {
      socket.destroy();
      resolve();
    });
  });
}
