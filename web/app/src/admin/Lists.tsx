/**
 * The admin console's lists: roles and their permissions (created and edited by a super admin),
 * the visitor blacklist (with unblocking), and the audit log (newest first, filtered by action).
 */
import { useState } from 'react';
import { App, Button, Checkbox, Form, Input, Modal, Popconfirm, Space, Table, Tag, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { api, type AuditEntry, type Ban, type Role } from '../api.ts';
import { errorText } from '../common.tsx';
import { useI18n } from '../i18n.tsx';
import { useFetched } from '../useFetched.ts';

const when = (iso: string, locale: string) => new Date(iso).toLocaleString(locale);

export function Roles({ canEdit }: { canEdit: boolean }) {
  const { t } = useI18n();
  const roles = useFetched<Role[]>('/roles');
  const [editing, setEditing] = useState<Role | 'new' | null>(null);
  return (
    <>
      {canEdit && (
        <Space className="kefu-admin-toolbar">
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing('new')}>{t('admin.newRole')}</Button>
        </Space>
      )}
      <Table<Role>
        size="small"
        rowKey="id"
        loading={roles.loading}
        dataSource={roles.data ?? []}
        pagination={false}
        columns={[
          { title: t('admin.name'), dataIndex: 'name', width: 240, render: (name: string, r) => <><Typography.Text strong>{name}</Typography.Text><div className="kefu-muted">{r.description}</div></> },
          { title: t('admin.permissions'), dataIndex: 'permissions', render: (ps: string[]) => <Space size={[4, 4]} wrap>{ps.map((p) => <Tag key={p}>{p}</Tag>)}</Space> },
          ...(canEdit ? [{ title: '', width: 80, render: (_: unknown, r: Role) => <Button size="small" onClick={() => setEditing(r)}>{t('admin.edit')}</Button> }] : []),
        ]}
      />
      {editing && (
        <RoleForm
          role={editing === 'new' ? null : editing}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            roles.reload();
          }}
        />
      )}
    </>
  );
}

/** Creating and editing a role (a super admin's): its name, what it is for, and its permissions from the catalogue. */
function RoleForm({ role, onClose, onSaved }: { role: Role | null; onClose: () => void; onSaved: () => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const catalogue = useFetched<{ name: string; description: string }[]>('/permissions');
  const [form] = Form.useForm<{ name: string; description: string; permissions: string[] }>();
  const save = async () => {
    const fields = await form.validateFields();
    try {
      await api(role ? 'PATCH' : 'POST', role ? `/roles/${role.id}` : '/roles', fields);
      message.success(t('admin.saved'));
      onSaved();
    } catch (e) {
      message.error(errorText(e, t));
    }
  };
  return (
    <Modal open width={640} title={role ? t('admin.editRole', { name: role.name }) : t('admin.newRole')} okText={t('admin.save')} cancelText={t('desk.cancel')} onOk={() => void save()} onCancel={onClose} destroyOnHidden>
      <Form form={form} layout="vertical" initialValues={role ? { name: role.name, description: role.description, permissions: role.permissions } : { description: '', permissions: [] }}>
        <Form.Item name="name" label={t('admin.name')} rules={[{ required: true, max: 100 }]}><Input aria-label={t('admin.roleName')} /></Form.Item>
        <Form.Item name="description" label={t('admin.roleDescription')} rules={[{ max: 500 }]}><Input /></Form.Item>
        <Form.Item name="permissions" label={t('admin.permissions')} rules={[{ required: true, type: 'array', min: 1 }]}>
          <Checkbox.Group className="kefu-permission-grid" options={(catalogue.data ?? []).map((p) => ({ value: p.name, label: <span title={p.name}>{p.description}</span> }))} />
        </Form.Item>
      </Form>
    </Modal>
  );
}

export function Blacklist({ canWrite }: { canWrite: boolean }) {
  const { t, locale } = useI18n();
  const { message } = App.useApp();
  const bans = useFetched<Ban[]>('/blacklist');
  const unblock = async (b: Ban) => {
    try {
      await api('DELETE', `/blacklist/${b.id}`);
      bans.reload();
    } catch (e) {
      message.error(errorText(e, t));
    }
  };
  return (
    <Table<Ban>
      size="small"
      rowKey="id"
      loading={bans.loading}
      dataSource={bans.data ?? []}
      locale={{ emptyText: t('admin.noBans') }}
      columns={[
        { title: t('admin.visitor'), dataIndex: 'visitorId' },
        { title: t('admin.reason'), dataIndex: 'reason' },
        { title: t('admin.since'), dataIndex: 'createdAt', render: (at: string) => when(at, locale) },
        { title: t('admin.until'), dataIndex: 'expiresAt', render: (at: string | null) => (at ? when(at, locale) : t('admin.forever')) },
        {
          title: '',
          width: 110,
          render: (_: unknown, b) =>
            canWrite && (
              <Popconfirm title={t('admin.unblockConfirm')} okText={t('admin.unblock')} cancelText={t('desk.cancel')} onConfirm={() => void unblock(b)}>
                <Button size="small">{t('admin.unblock')}</Button>
              </Popconfirm>
            ),
        },
      ]}
    />
  );
}

const OUTCOME_COLOR = { success: 'green', failure: 'orange', denied: 'red' } as const;

export function AuditLog() {
  const { t, locale } = useI18n();
  const [action, setAction] = useState('');
  const entries = useFetched<AuditEntry[]>(`/audit?limit=200${action ? `&action=${encodeURIComponent(action)}` : ''}`);
  return (
    <>
      <Space className="kefu-admin-toolbar">
        <Input.Search allowClear aria-label={t('admin.auditAction')} placeholder={t('admin.auditActionHint')} onSearch={(v) => setAction(v.trim())} style={{ width: 280 }} />
        <a href={`/api/v1/audit/export${action ? `?action=${encodeURIComponent(action)}` : ''}`}>{t('admin.exportCsv')}</a>
      </Space>
      <Table<AuditEntry>
        size="small"
        rowKey="id"
        loading={entries.loading}
        dataSource={entries.data ?? []}
        pagination={{ pageSize: 50, hideOnSinglePage: true }}
        columns={[
          { title: t('admin.at'), dataIndex: 'at', width: 180, render: (at: string) => when(at, locale) },
          { title: t('admin.actor'), dataIndex: 'actorName', width: 160 },
          { title: t('admin.action'), dataIndex: 'action', render: (a: string, e) => <Space size={4}><code>{a}</code><Tag color={OUTCOME_COLOR[e.outcome]}>{e.outcome}</Tag></Space> },
          { title: t('admin.target'), render: (_: unknown, e) => <span className="kefu-muted">{e.targetType} {e.targetId}</span> },
          { title: t('sessions.ip'), dataIndex: 'ip', width: 130 },
        ]}
      />
    </>
  );
}
