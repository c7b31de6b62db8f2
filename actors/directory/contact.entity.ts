/**
 * A contact (联系人): a customer as the company knows them — name, email, phone, company and the
 * agents' notes — owned by a department (`contacts.*` over it decides who sees and edits it). A
 * visitor of a channel is bound to at most one contact (`ContactVisitor`), so every conversation
 * of that visitor is the contact's, across devices and channels once bound.
 */
import { defineEntity, p } from '@mikro-orm/core';

export const CONTACT_SUBTREE_INDEX = 'kefu_contact_tenant_id_department_path_index';

export const Contact = defineEntity({
  name: 'Contact',
  tableName: 'kefu_contact',
  indexes: [{ name: CONTACT_SUBTREE_INDEX, properties: ['tenantId', 'departmentPath'] }],
  properties: {
    id: p.string().length(32).primary(),
    tenantId: p.string().length(20),
    /** The owning department's materialised path (kept in step when departments move). */
    departmentPath: p.string().length(700),
    name: p.string().length(100),
    /** '' when unknown (likewise phone, company). */
    email: p.string().length(200),
    phone: p.string().length(32),
    company: p.string().length(200),
    notes: p.text(),
    createdBy: p.string().length(32),
    createdAt: p.datetime(),
    updatedBy: p.string().length(32),
    updatedAt: p.datetime(),
  },
});

/** A visitor bound to a contact: one contact per visitor, many visitors per contact. */
export const ContactVisitor = defineEntity({
  name: 'ContactVisitor',
  tableName: 'kefu_contact_visitor',
  indexes: [{ properties: ['tenantId', 'contactId'] }],
  properties: {
    visitorId: p.string().length(32).primary(),
    tenantId: p.string().length(20),
    contactId: p.string().length(32),
    boundBy: p.string().length(32),
    boundAt: p.datetime(),
  },
});
