/** The machine-readable form of agent protocol v1, generated from the zod schemas of wire.ts. */
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { AGENT_PROTOCOL_VERSION, agentClientFrame, agentServerFrame } from './wire.ts';

export const AGENT_SCHEMA_FILE = fileURLToPath(new URL('../../docs/protocol/agent.schema.json', import.meta.url));

/** The machine-readable schema of protocol v1 (JSON Schema 2020-12), for docs/protocol/agent.schema.json. */
export function agentProtocolJsonSchema(): object {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: `Kefu agent protocol v${AGENT_PROTOCOL_VERSION}`,
    description: 'Frames of the agent WebSocket (docs/protocol/agent.md). Generated from gateways/agent/wire.ts.',
    $defs: {
      clientFrame: z.toJSONSchema(agentClientFrame, { target: 'draft-2020-12' }),
      serverFrame: z.toJSONSchema(agentServerFrame, { target: 'draft-2020-12' }),
    },
  };
}
