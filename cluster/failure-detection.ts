/**
 * Fast failure detection on top of Moleculer's heartbeats.
 *
 * Moleculer declares a node dead when no heartbeat arrived for `heartbeatTimeout` seconds, but it
 * only checks every `heartbeatTimeout` seconds, so detection takes between one and two timeouts.
 * Checking every second makes it one timeout (+ ≤ 1 s): with Kefu's defaults (heartbeat every 1 s,
 * timeout 3 s) a killed node is dropped from every node's view within about 4–5 s, after which its
 * shards move (their leases, renewed every second with a 3 s TTL, have expired by then).
 */
import type { ServiceBroker } from 'moleculer';

type Discoverer = { checkRemoteNodes(): void };

export function checkHeartbeatsEverySecond(broker: ServiceBroker): () => void {
  const discoverer = (broker.registry as unknown as { discoverer?: Discoverer }).discoverer;
  if (!discoverer || typeof discoverer.checkRemoteNodes !== 'function') return () => undefined;
  const timer = setInterval(() => discoverer.checkRemoteNodes(), 1_000);
  timer.unref();
  return () => clearInterval(timer);
}
