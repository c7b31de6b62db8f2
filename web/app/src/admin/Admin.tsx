/**
 * The admin console (管理后台), its own chunk: loaded only when an admin opens it, so the agent
 * desk's first load stays small. One tab per thing administered, each shown only with the
 * permission to read it; the server enforces the same (and its refusals show).
 */
import { Tabs } from 'antd';
import type { Me } from '../api.ts';
import { can } from '../desk/useDesk.tsx';
import { useI18n, type MessageKey } from '../i18n.tsx';
import { Accounts } from './Accounts.tsx';
import { Channels } from './Channels.tsx';
import { AuditLog, Blacklist, Roles } from './Lists.tsx';
import { OrgTree } from './OrgTree.tsx';
import { QuickReplyList } from '../QuickReplies.tsx';

export default function AdminScreen({ me }: { me: Me }) {
  const { t } = useI18n();
  // The same read permissions as ADMIN_READS in Shell.tsx, which decides whether the menu shows the console.
  const tabs: { key: string; label: MessageKey; read: string; content: React.ReactNode }[] = [
    { key: 'org', label: 'admin.orgTree', read: 'departments.read', content: <OrgTree canWrite={can(me, 'departments.write')} settings={{ read: can(me, 'settings.read'), write: can(me, 'settings.write') }} /> },
    { key: 'accounts', label: 'admin.accounts', read: 'accounts.read', content: <Accounts canWrite={can(me, 'accounts.write')} /> },
    { key: 'roles', label: 'admin.rolesTab', read: 'roles.read', content: <Roles canEdit={me.isSuperAdmin} /> },
    { key: 'channels', label: 'admin.channels', read: 'channels.read', content: <Channels canWrite={can(me, 'channels.write')} /> },
    { key: 'quick-replies', label: 'replies.title', read: 'quickReplies.write', content: <QuickReplyList shared /> },
    { key: 'blacklist', label: 'admin.blacklist', read: 'blacklist.read', content: <Blacklist canWrite={can(me, 'blacklist.write')} /> },
    { key: 'audit', label: 'admin.audit', read: 'audit.read', content: <AuditLog /> },
  ];
  return (
    <div className="kefu-admin" data-testid="admin">
      <Tabs destroyOnHidden items={tabs.filter((tab) => can(me, tab.read)).map((tab) => ({ key: tab.key, label: t(tab.label), children: tab.content }))} />
    </div>
  );
}
