/**
 * Placement: actor id → shard → owner node.
 *
 * - An actor id hashes onto one of a fixed number of shards (`shardOf`). The shard count never
 *   changes for a running cluster; it bounds how finely ownership can be spread.
 * - A shard's owner is chosen among the live nodes hosting that actor kind by rendezvous
 *   (highest-random-weight) hashing: each node scores `hash(node, shard)`, the highest wins. Every
 *   caller computes the same owner from the same membership, with no ring to build or share, and
 *   when a node joins or leaves only the shards it wins or held move (≈ 1/N of them), never the
 *   shards whose owner survived — unlike Moleculer's Shard strategy (see docs/cluster.md).
 *
 * Pure and deterministic: the same inputs give the same owner on every node.
 */

export const DEFAULT_SHARD_COUNT = 256;

/** 32-bit FNV-1a over UTF-16 code units: fast, stable across processes and platforms. */
export function fnv1a(text: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** A final avalanche (from MurmurHash3) so nearby inputs give unrelated scores. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

export function shardOf(actorId: string, shardCount: number = DEFAULT_SHARD_COUNT): number {
  return mix(fnv1a(actorId)) % shardCount;
}

/** The rendezvous score of a node for a shard; ties (astronomically rare) break by node id. */
const score = (nodeId: string, shard: number): number => mix(fnv1a(`${shard}\u0000${nodeId}`));

/** The owner of `shard` among `nodes` (the live nodes hosting the actor kind), or null if none. */
export function ownerOf(shard: number, nodes: readonly string[]): string | null {
  let best: string | null = null;
  let bestScore = -1;
  for (const node of nodes) {
    const s = score(node, shard);
    if (s > bestScore || (s === bestScore && best !== null && node < best)) {
      best = node;
      bestScore = s;
    }
  }
  return best;
}

/** Every shard's owner: the assignment a node uses to know which shards it must hold. */
export function assignment(nodes: readonly string[], shardCount: number = DEFAULT_SHARD_COUNT): (string | null)[] {
  return Array.from({ length: shardCount }, (_, shard) => ownerOf(shard, nodes));
}

/** The owner of an actor id: `ownerOf(shardOf(id))`. */
export const ownerOfActor = (actorId: string, nodes: readonly string[], shardCount: number = DEFAULT_SHARD_COUNT): string | null =>
  ownerOf(shardOf(actorId, shardCount), nodes);
