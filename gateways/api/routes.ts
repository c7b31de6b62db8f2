/** Every route of `/api/v1`, in the order the OpenAPI document lists them. */
import { adminRoutes } from './admin.routes.ts';
import { contactRoutes } from './contacts.routes.ts';
import { historyRoutes } from './history.routes.ts';
import { identityRoutes, type ApiContext } from './identity.routes.ts';
import { orgRoutes } from './org.routes.ts';
import { quickReplyRoutes } from './quick-replies.routes.ts';
import type { Route } from './route.ts';

export const apiRouteTable = (ctx: ApiContext): Route[] => [...identityRoutes(ctx), ...orgRoutes(ctx), ...adminRoutes(ctx), ...quickReplyRoutes(ctx), ...contactRoutes(ctx), ...historyRoutes(ctx)];
