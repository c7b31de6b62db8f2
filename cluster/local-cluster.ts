/**
 * Kefu nodes as real processes on this machine, in cluster mode against the local infrastructure
 * (cluster/infra): started, killed (any signal), restarted and stopped by id. Used by the
 * `cluster:local` launcher and by the failover benchmark.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LocalInfra } from './local-infra.ts';
import { NODE_FLAGS } from './node-flags.ts';

const KEFU_BIN = fileURLToPath(new URL('../bin/kefu.ts', import.meta.url));
export const READY_TIMEOUT_MS = 90_000;

export type NodeSpec = { readonly id: string; readonly roles: string; readonly port: number };
export type LocalNode = NodeSpec & {
  child: ChildProcess;
  exited: boolean;
  /** The last lines it printed (stdout and stderr), also when its output is discarded: what a failed start says. */
  readonly lastLines: string[];
};

/** Lines of a node's output kept for an error message (see LocalNode.lastLines). */
const LAST_LINES = 20;

/** Calls `each` with every line of the stream, the last one too. */
function onLines(stream: NodeJS.ReadableStream, each: (line: string) => void): void {
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) each(line);
  });
  stream.on('end', () => {
    if (buffered) each(buffered);
  });
}

export class LocalCluster {
  readonly name: string;
  readonly nodes = new Map<string, LocalNode>();
  readonly #infra: LocalInfra;
  readonly #env: Readonly<Record<string, string>>;
  readonly #output: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream } | null;
  readonly #targetsFile: string;
  #stopping = false;
  onExit: (node: LocalNode, code: number | null, signal: NodeJS.Signals | null) => void = () => undefined;

  constructor(options: {
    name: string;
    infra: LocalInfra;
    /** Extra environment for every node (e.g. heartbeat settings). */
    env?: Readonly<Record<string, string>>;
    /** Where node output goes, prefixed by node id; null discards it. */
    output?: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream } | null;
  }) {
    this.name = options.name;
    this.#infra = options.infra;
    this.#env = options.env ?? {};
    this.#output = options.output === undefined ? { stdout: process.stdout, stderr: process.stderr } : options.output;
    this.#targetsFile = join(options.infra.KEFU_PROMETHEUS_TARGETS_DIR, `${options.name}.json`);
  }

  /** Starts a node process; `waitReady` resolves when it answers /ready. */
  start(spec: NodeSpec): LocalNode {
    const child = spawn(process.execPath, [...NODE_FLAGS, KEFU_BIN, 'start'], {
      env: {
        ...process.env,
        ...this.#infra,
        // Its own topics and indices on the shared Kafka and Elasticsearch (drop them with local-infra.ts dropScratchData).
        KEFU_KAFKA_TOPIC_PREFIX: `${this.name}.`,
        KEFU_ELASTICSEARCH_INDEX_PREFIX: `${this.name}-`,
        ...this.#env,
        KEFU_MODE: 'cluster',
        KEFU_CLUSTER_NAME: this.name,
        KEFU_NODE_ID: spec.id,
        KEFU_ROLES: spec.roles,
        KEFU_HOST: '127.0.0.1',
        KEFU_PORT: String(spec.port),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Own process group: a terminal's Ctrl-C reaches only the launcher, which then stops each node
      // once, in order, instead of every node receiving two signals.
      detached: true,
    });
    const node: LocalNode = { ...spec, child, exited: false, lastLines: [] };
    const keep = (line: string) => {
      node.lastLines.push(line);
      if (node.lastLines.length > LAST_LINES) node.lastLines.shift();
    };
    const output = this.#output;
    onLines(child.stdout!, (line) => {
      keep(line);
      output?.stdout.write(`[${spec.id}] ${line}\n`);
    });
    onLines(child.stderr!, (line) => {
      keep(line);
      output?.stderr.write(`[${spec.id}] ${line}\n`);
    });
    child.on('exit', (code, signal) => {
      node.exited = true;
      if (!this.#stopping) this.onExit(node, code, signal);
    });
    this.nodes.set(spec.id, node);
    this.#writeTargets();
    return node;
  }

  async waitReady(node: LocalNode): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let last = 'no answer';
    while (Date.now() < deadline) {
      if (node.exited) {
        const { exitCode, signalCode } = node.child;
        throw new Error(`node ${node.id} exited (${signalCode ?? `code ${exitCode}`}) before it was ready; its last lines:\n${node.lastLines.join('\n')}`);
      }
      try {
        const res = await fetch(`http://127.0.0.1:${node.port}/ready`);
        if (res.ok) return;
        last = `${res.status} ${await res.text()}`;
      } catch (error) {
        last = error instanceof Error ? error.message : String(error);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`node ${node.id} not ready on port ${node.port} after ${READY_TIMEOUT_MS / 1000}s (last: ${last})`);
  }

  /** Sends a signal to a node (SIGKILL: a crash; SIGSTOP/SIGCONT: a pause). */
  signal(id: string, signal: NodeJS.Signals): void {
    const node = this.nodes.get(id);
    if (!node || node.exited) throw new Error(`node ${id} is not running`);
    process.kill(node.child.pid!, signal);
  }

  /** Resolves when the node's process has exited. */
  exited(id: string): Promise<void> {
    const node = this.nodes.get(id)!;
    return node.exited ? Promise.resolve() : new Promise((resolve) => node.child.once('exit', () => resolve()));
  }

  /** Stops every node (SIGTERM, SIGKILL after 20 s) and unregisters them from Prometheus. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all(
      [...this.nodes.values()].map(
        (node) =>
          new Promise<void>((resolve) => {
            if (node.exited) return resolve();
            const killTimer = setTimeout(() => node.child.kill('SIGKILL'), 20_000);
            node.child.once('exit', () => {
              clearTimeout(killTimer);
              resolve();
            });
            node.child.kill('SIGTERM');
          }),
      ),
    );
    rmSync(this.#targetsFile, { force: true });
  }

  /** Last resort on an abrupt exit of the owning process: never leave detached nodes behind. */
  killAllNow(): void {
    for (const node of this.nodes.values()) if (!node.exited) node.child.kill('SIGKILL');
  }

  // Prometheus (file_sd) picks these targets up within seconds.
  #writeTargets(): void {
    mkdirSync(this.#infra.KEFU_PROMETHEUS_TARGETS_DIR, { recursive: true });
    writeFileSync(
      this.#targetsFile,
      JSON.stringify([...this.nodes.values()].map((n) => ({ targets: [`127.0.0.1:${n.port}`], labels: { cluster: this.name } }))),
    );
  }
}
