/**
 * The permission catalogue (权限): every right Kefu checks, as `resource.action`. Roles are sets of
 * these; an account's rights are its roles' permissions over its department and every department
 * below it (access.ts). The REST API names the permission each route needs, and the authorization
 * matrix test is generated from this list.
 */

export const PERMISSIONS = {
  'conversations.read': 'See conversations and their messages',
  'conversations.reply': 'Accept, answer, transfer and close conversations',
  'history.read': 'Search and read closed conversations',
  'history.export': 'Export conversation history',
  'contacts.read': 'See contacts (联系人)',
  'contacts.write': 'Create, edit and delete contacts',
  'customers.read': 'See customer companies (客户)',
  'customers.write': 'Create, edit and delete customer companies',
  'tickets.read': 'See tickets (工单)',
  'tickets.write': 'Create, edit and resolve tickets',
  'reports.read': 'See reports',
  'monitoring.read': 'Watch agents, queues and live conversations',
  'monitoring.intervene': 'Whisper, barge in and take over live conversations',
  'settings.read': 'See skill group and session settings',
  'settings.write': 'Change skill group and session settings',
  'departments.read': 'See the org tree',
  'departments.write': 'Create, move, rename and delete departments and skill groups',
  'accounts.read': 'See accounts',
  'accounts.write': 'Create, edit, disable and delete accounts, and assign roles',
  'roles.read': 'See roles and their permissions',
  'channels.read': 'See web chat channels',
  'channels.write': 'Create, edit and delete web chat channels',
  'quickReplies.write': 'Create, edit and delete the quick replies (快捷回复) departments share',
  'blacklist.read': 'See blocked visitors',
  'blacklist.write': 'Block and unblock visitors',
  'audit.read': 'Read the audit log',
  'audit.export': 'Export the audit log',
  'tokens.write': 'Create and revoke API tokens for integrations',
} as const satisfies Record<string, string>;

export type Permission = keyof typeof PERMISSIONS;

export const ALL_PERMISSIONS = Object.keys(PERMISSIONS) as Permission[];

export const isPermission = (value: string): value is Permission => Object.hasOwn(PERMISSIONS, value);

/**
 * Roles every new tenant starts with (editable afterwards, like any role). Creating and editing
 * roles themselves is the super admin's alone: no permission grants it, so no role can grant it.
 */
export const BUILT_IN_ROLES: readonly { readonly key: string; readonly name: string; readonly permissions: readonly Permission[] }[] = [
  {
    key: 'agent',
    name: 'Agent · 坐席',
    permissions: ['conversations.read', 'conversations.reply', 'history.read', 'contacts.read', 'contacts.write', 'customers.read', 'tickets.read', 'tickets.write'],
  },
  {
    key: 'supervisor',
    name: 'Supervisor · 质检/班长',
    permissions: [
      'conversations.read',
      'conversations.reply',
      'history.read',
      'history.export',
      'contacts.read',
      'customers.read',
      'tickets.read',
      'reports.read',
      'monitoring.read',
      'monitoring.intervene',
      'quickReplies.write',
      'departments.read',
      'accounts.read',
    ],
  },
  {
    key: 'department-admin',
    name: 'Department admin · 部门管理员',
    permissions: ALL_PERMISSIONS.filter((p) => p !== 'tokens.write'),
  },
];
