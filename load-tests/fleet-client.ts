/**
 * One client process of the gateway fleet benchmark (gateway-fleet.bench.ts; not run on its own):
 *
 *   node load-tests/fleet-client.ts <ws url> <count> <source addresses, comma-separated> <hold seconds>
 *
 * Opens `count` visitor connections to the url, connection i from source address i mod n, each
 * saying hello and waiting for its welcome (a real visitor session: token issued, visitor stored).
 * Prints one JSON line a second — `{"welcomed":…,"failed":…,"dropped":…,"closes":{code:count}}` — and `"done":true` once
 * every connection was tried; then holds them until SIGTERM, or until `hold seconds` pass.
 */
import WebSocket from 'ws';

const [url, countArg, addressesArg, holdArg] = process.argv.slice(2);
if (!url || !countArg || !addressesArg || !holdArg) throw new Error('usage: fleet-client.ts <ws url> <count> <addresses> <hold seconds>');
const count = Number(countArg);
const addresses = addressesArg.split(',');
const OPEN_IN_PARALLEL = 100;

const sockets: WebSocket[] = [];
/** `closes`: how the failed and dropped connections were closed (WebSocket close code → count). */
const tally = { welcomed: 0, failed: 0, dropped: 0, done: false, closes: {} as Record<string, number> };
const report = () => process.stdout.write(`${JSON.stringify(tally)}\n`);

/** Resolves once the connection is welcomed (true) or has failed (false). */
function open(i: number): Promise<boolean> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url!, { perMessageDeflate: false, localAddress: addresses[i % addresses.length] });
    sockets.push(ws);
    let welcomed = false;
    ws.once('open', () => ws.send(JSON.stringify({ type: 'hello', v: 1 })));
    ws.on('message', (data) => {
      if (!welcomed && String(data).startsWith('{"type":"welcome"')) {
        welcomed = true;
        resolve(true);
      }
    });
    ws.once('error', () => undefined); // followed by close
    ws.once('close', (code) => {
      tally.closes[code] = (tally.closes[code] ?? 0) + 1;
      if (welcomed) tally.dropped++;
      else resolve(false);
    });
  });
}

const ticker = setInterval(report, 1_000);
for (let i = 0; i < count; i += OPEN_IN_PARALLEL) {
  const outcomes = await Promise.all(Array.from({ length: Math.min(OPEN_IN_PARALLEL, count - i) }, (_, j) => open(i + j)));
  for (const ok of outcomes) tally[ok ? 'welcomed' : 'failed']++;
}
tally.done = true;
report();

const end = () => {
  clearInterval(ticker);
  report();
  for (const ws of sockets) ws.terminate();
  process.exit(0);
};
process.once('SIGTERM', end);
setTimeout(end, Number(holdArg) * 1_000);
