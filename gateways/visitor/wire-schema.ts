/** The machine-readable form of visitor protocol v1, generated from the zod schemas of wire.ts. */
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { VISITOR_PROTOCOL_VERSION, visitorClientFrame, visitorServerFrame } from './wire.ts';

export const VISITOR_SCHEMA_FILE = fileURLToPath(new URL('../../docs/protocol/visitor.schema.json', import.meta.url));

/** The machine-readable schema of protocol v1 (JSON Schema 2020-12), for docs/protocol/visitor.schema.json. */
export function visitorProtocolJsonSchema(): object {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: `Kefu visitor protocol v${VISITOR_PROTOCOL_VERSION}`,
    description: 'Frames of the visitor WebSocket (docs/protocol/visitor.md). Generated from gateways/visitor/wire.ts.',
    $defs: {
      clientFrame: z.toJSONSchema(visitorClientFrame, { target: 'draft-2020-12' }),
      serverFrame: z.toJSONSchema(visitorServerFrame, { target: 'draft-2020-12' }),
    },
  };
}
