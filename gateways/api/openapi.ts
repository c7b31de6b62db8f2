/**
 * The OpenAPI 3.1 document of `/api/v1`, rendered from the route table (JSON Schema 2020-12 from
 * the zod schemas), served at `/api/v1/openapi.json`; `/api/v1/docs` shows it with Swagger UI.
 */
import { z } from 'zod';
import { KEFU_VERSION } from '../../cluster/version.ts';
import type { Route } from './route.ts';
import { error } from './schemas.ts';
import { CSRF_HEADER, MAX_BODY_BYTES, SESSION_COOKIE } from './server.ts';

const jsonSchema = (schema: z.ZodType, io: 'input' | 'output'): object => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
};

const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });

function accessText(r: Route): string {
  switch (r.access.kind) {
    case 'public':
      return 'Anyone.';
    case 'signed-in':
      return 'Any signed-in account or API token.';
    case 'session':
      return 'A signed-in person (session cookie), not an API token.';
    case 'super-admin':
      return 'A signed-in super admin.';
    case 'permission':
      return `Permission \`${r.access.permission}\` over the department concerned (one’s own or below it).`;
  }
}

export function openApiDocument(routes: readonly Route[], serverUrl: string): object {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const parameters: object[] = [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    if (r.query) {
      const q = jsonSchema(r.query, 'input') as { properties?: Record<string, object>; required?: string[] };
      for (const [name, schema] of Object.entries(q.properties ?? {})) parameters.push({ name, in: 'query', required: q.required?.includes(name) ?? false, schema });
    }
    const success = r.response
      ? { [String(r.status ?? 200)]: { description: 'OK', content: { [r.csv ? 'text/csv' : 'application/json']: { schema: r.csv ? { type: 'string' } : jsonSchema(r.response, 'output') } } } }
      : { '204': { description: 'Done' } };
    const operation: Record<string, unknown> = {
      operationId: `${r.method}${r.path.replace(/^\/api\/v1/, '').replace(/\{(\w+)\}/g, 'By-$1').replace(/[/-](\w)/g, (_, c: string) => c.toUpperCase())}`,
      tags: [r.tag],
      summary: r.summary,
      description: [r.description, `**Who may call it:** ${accessText(r)}`].filter(Boolean).join('\n\n'),
      'x-kefu-access': r.access,
      parameters,
      responses: {
        ...success,
        '400': errorResponse('INVALID: the request breaks its schema (`details.fields` names the fields)'),
        ...(r.access.kind === 'public' ? {} : { '401': errorResponse('UNAUTHENTICATED'), '403': errorResponse('FORBIDDEN, or CSRF_INVALID') }),
        '404': errorResponse('NOT_FOUND (also for things outside one’s subtree)'),
        ...(r.limit ? { '429': errorResponse('RATE_LIMITED') } : {}),
      },
      ...(r.access.kind === 'public' ? { security: [] } : {}),
    };
    if (r.body) operation.requestBody = { required: true, content: { 'application/json': { schema: jsonSchema(r.body, 'input') } } };
    (paths[r.path] ??= {})[r.method] = operation;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Kefu REST API',
      version: KEFU_VERSION,
      description: [
        'Identity and administration of a Kefu installation: the org tree, roles, accounts, channels, the visitor blacklist, API tokens and the audit log. See docs/api.md.',
        `Browsers sign in with \`POST /api/v1/session\` (cookie \`${SESSION_COOKIE}\`) and send the CSRF token it answers as \`${CSRF_HEADER}\` with every request that is not a GET. Integrations send \`Authorization: Bearer kefu_…\` (an API token) and need no CSRF token.`,
        `Bodies are JSON, at most ${MAX_BODY_BYTES / 1024} KiB; unknown fields are refused. Errors are \`{code, message, temporary, details?}\`.`,
      ].join('\n\n'),
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: serverUrl }],
    security: [{ session: [] }, { apiToken: [] }],
    components: {
      securitySchemes: {
        session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE },
        apiToken: { type: 'http', scheme: 'bearer', bearerFormat: 'kefu_…' },
      },
      schemas: { Error: jsonSchema(error, 'output') },
    },
    paths,
  };
}
