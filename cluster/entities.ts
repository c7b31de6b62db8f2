/**
 * Every MikroORM entity of Kefu, in one list: the ORM is initialised with it, and the migrations of
 * both dialects (cluster/migrations/) are generated from it.
 */
import { ConversationLog } from '../actors/conversation/conversation-log.entity.ts';
import { ConversationRecordRow } from '../actors/conversation/conversation-record.entity.ts';
import { ConversationFile } from '../actors/conversation/file.entity.ts';
import { Message } from '../actors/conversation/message.entity.ts';
import { Account } from '../actors/directory/account.entity.ts';
import { ApiToken } from '../actors/directory/api-token.entity.ts';
import { AuditEntry } from '../actors/directory/audit-entry.entity.ts';
import { Channel } from '../actors/directory/channel.entity.ts';
import { Contact, ContactVisitor } from '../actors/directory/contact.entity.ts';
import { Department } from '../actors/directory/department.entity.ts';
import { LoginSession } from '../actors/directory/login-session.entity.ts';
import { QuickReply } from '../actors/directory/quick-reply.entity.ts';
import { Role } from '../actors/directory/role.entity.ts';
import { SetupToken } from '../actors/directory/setup-token.entity.ts';
import { Tenant } from '../actors/directory/tenant.entity.ts';
import { VisitorBan } from '../actors/directory/visitor-ban.entity.ts';
import { Visitor, VisitorToken } from '../actors/directory/visitor.entity.ts';
import { ActorState } from './actor-state.entity.ts';

export const ENTITIES = [
  SetupToken,
  ActorState,
  Message,
  Channel,
  Visitor,
  VisitorToken,
  Tenant,
  Department,
  Role,
  Account,
  LoginSession,
  ApiToken,
  AuditEntry,
  VisitorBan,
  ConversationFile,
  ConversationLog,
  ConversationRecordRow,
  QuickReply,
  Contact,
  ContactVisitor,
];
