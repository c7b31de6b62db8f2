/**
 * Writes the machine-readable schemas of the WebSocket protocols from their zod schemas:
 * docs/protocol/visitor.schema.json and docs/protocol/agent.schema.json (`npm run protocol:schema`).
 * Each protocol's wire test fails while its file and its schemas disagree.
 */
import { writeFileSync } from 'node:fs';
import { AGENT_SCHEMA_FILE, agentProtocolJsonSchema } from './agent/wire-schema.ts';
import { VISITOR_SCHEMA_FILE, visitorProtocolJsonSchema } from './visitor/wire-schema.ts';

for (const [file, schema] of [
  [VISITOR_SCHEMA_FILE, visitorProtocolJsonSchema()],
  [AGENT_SCHEMA_FILE, agentProtocolJsonSchema()],
] as const) {
  writeFileSync(file, `${JSON.stringify(schema, null, 2)}\n`);
  console.log(`wrote ${file}`);
}
