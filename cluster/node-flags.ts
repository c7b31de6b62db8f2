/**
 * The Node.js flags every Kefu node runs with: `npm start`, the Dockerfile, the local cluster's
 * nodes, the benchmarks and the test runs all pass them, so what is measured is what runs.
 *
 * `--experimental-async-context-frame`: AsyncLocalStorage (MikroORM's request and transaction
 * contexts use it) backed by V8's continuation frames instead of async_hooks. With async_hooks, the
 * first context a process enters turns on promise hooks that then run for every promise it makes
 * — a fifth of a gateway's CPU per message (docs/benchmarks.md, "Gateway"). It is the default
 * from Node 24 on; Node 22, which Kefu runs on, has it behind this flag.
 */
export const NODE_FLAGS: readonly string[] = ['--experimental-async-context-frame'];

/** Whether this process runs with NODE_FLAGS (on its command line or in NODE_OPTIONS). */
export function hasNodeFlags(): boolean {
  const given = [...process.execArgv, ...(process.env['NODE_OPTIONS'] ?? '').split(/\s+/)];
  return NODE_FLAGS.every((flag) => given.includes(flag));
}
