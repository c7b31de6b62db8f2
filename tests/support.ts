/** Helpers shared by the integration and e2e tests. */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** A short random suffix, so names in shared services (databases, topics, indices) never collide. */
export const uniqueName = (prefix: string): string => `${prefix}-${randomBytes(4).toString('hex')}`;

/**
 * Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs` with a
 * message naming what was awaited and the last thing seen.
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = 'nothing yet';
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last error: ${last})`);
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * Where test ports come from: from 20000 up to the start of the kernel's ephemeral range (the
 * source ports of outgoing connections), so that no client socket of the machine — say one still in
 * TIME_WAIT after a load test — can hold a port between its check here and a server's listen.
 */
function testPortRange(): { from: number; to: number } {
  let ephemeralFrom = 32_768;
  try {
    ephemeralFrom = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || ephemeralFrom;
  } catch {
    // not Linux: keep the usual default
  }
  return { from: 20_000, to: Math.max(25_000, ephemeralFrom) };
}

/** `count` consecutive free loopback ports, from a random start below the ephemeral range. */
export async function freePorts(count: number): Promise<number> {
  const { from, to } = testPortRange();
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = from + Math.floor(Math.random() * (to - from - count));
    const checks = await Promise.all(Array.from({ length: count }, (_, i) => portIsFree(base + i)));
    if (checks.every(Boolean)) return base;
  }
  throw new Error(`no ${count} consecutive free ports found`);
}

/** A node's `/metrics` in Prometheus text format, with `sum` to read series from it. */
export async function scrape(port: number): Promise<{ text: string; sum(name: string, labels?: Record<string, string>): number }> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return { text, sum: (name, labels = {}) => sumOf(text, name, labels) };
}

/** The sum of the samples named `name` whose labels include all of `labels` (0 if none). */
export function sumOf(exposition: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of exposition.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const given = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => given[k] === v)) total += Number(m[3]);
  }
  return total;
}
