/**
 * A department of a tenant's org tree (组织机构), nested to any depth (up to MAX_DEPARTMENT_DEPTH).
 * `path` is the materialised path (`/<root id>/<child id>/`): "this department and everything below
 * it" is `path LIKE '<path>%'`, one indexed range scan, never a recursive query. A department
 * flagged `isSkillGroup` is a skill group (技能组) with its own queue; `settings` (JSON, sparse) are
 * inherited by the departments below unless they set their own.
 */
import { defineEntity, p } from '@mikro-orm/core';

export const Department = defineEntity({
  name: 'Department',
  tableName: 'kefu_department',
  uniques: [{ properties: ['tenantId', 'path'] }],
  properties: {
    id: p.string().length(32).primary(),
    tenantId: p.string().length(20),
    /** '' for a root department. (Not nullable: MikroORM's MariaDB comparator misreads the default of a nullable varchar and would
     * report a schema change forever — the same reason as ActorState.indexKey.) */
    parentId: p.string().length(32),
    path: p.string().length(700),
    name: p.string().length(100),
    isSkillGroup: p.boolean(),
    /** JSON object of the settings this department sets itself (policies/org.ts `DepartmentSettings`). */
    settings: p.text(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
  },
});
