/**
 * The directory's Moleculer shell: it only listens. After a change to rights, sessions or tokens a
 * node broadcasts `directory.changed` with the tenant, and every gateway node (this one included)
 * drops that tenant's cached principals. Losing the event costs at most PRINCIPAL_CACHE_MS of
 * staleness, since the cache expires by itself.
 */
import type { ServiceSchema } from 'moleculer';
import type { Directory } from './directory.ts';

export const DIRECTORY_CHANGED_EVENT = 'directory.changed';

export const directoryService = (directory: Directory): ServiceSchema => ({
  name: 'directory',
  events: {
    [DIRECTORY_CHANGED_EVENT]: {
      handler(ctx: { params: { tenantId?: unknown } }) {
        if (typeof ctx.params.tenantId === 'string') directory.authenticator.invalidate(ctx.params.tenantId);
      },
    },
  },
});
