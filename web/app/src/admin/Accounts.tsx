/**
 * Accounts (账号): who works here, in which department, with which roles; agents with the skill
 * groups they serve and how many conversations they take at once. Create, edit, disable and
 * enable; the first 500 of one's subtree, searchable by name or email.
 */
import { useMemo, useState } from 'react';
import { App, Button, Form, Input, InputNumber, Modal, Select, Space, Switch, Table, Tag, TreeSelect, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { api, type Account, type Department, type Role } from '../api.ts';
import { errorText } from '../common.tsx';
import { useI18n } from '../i18n.tsx';
import { treeOf } from './OrgTree.tsx';
import { useFetched } from '../useFetched.ts';

export function Accounts({ canWrite }: { canWrite: boolean }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [q, setQ] = useState('');
  const accounts = useFetched<Account[]>(`/accounts?limit=500${q ? `&q=${encodeURIComponent(q)}` : ''}`);
  const departments = useFetched<Department[]>('/departments');
  const roles = useFetched<Role[]>('/roles');
  const [editing, setEditing] = useState<Account | 'new' | null>(null);
  const deptName = useMemo(() => new Map((departments.data ?? []).map((d) => [d.id, d.name])), [departments.data]);
  const roleName = useMemo(() => new Map((roles.data ?? []).map((r) => [r.id, r.name])), [roles.data]);

  const setDisabled = async (a: Account, disabled: boolean) => {
    try {
      await api('PATCH', `/accounts/${a.id}`, { disabled });
      accounts.reload();
    } catch (e) {
      message.error(errorText(e, t));
    }
  };

  return (
    <>
      <Space className="kefu-admin-toolbar">
        <Input.Search allowClear aria-label={t('admin.search')} placeholder={t('admin.searchAccounts')} onSearch={setQ} style={{ width: 280 }} />
        {canWrite && <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing('new')}>{t('admin.newAccount')}</Button>}
      </Space>
      <Table<Account>
        size="small"
        rowKey="id"
        loading={accounts.loading}
        dataSource={accounts.data ?? []}
        pagination={{ pageSize: 50, hideOnSinglePage: true }}
        columns={[
          { title: t('admin.name'), dataIndex: 'displayName', render: (name: string, a) => <><Typography.Text strong>{name}</Typography.Text>{a.isSuperAdmin && <Tag color="purple" style={{ marginLeft: 6 }}>{t('profile.superAdmin')}</Tag>}</> },
          { title: t('profile.email'), dataIndex: 'email' },
          { title: t('admin.department'), dataIndex: 'departmentId', render: (id: string) => deptName.get(id) ?? id },
          { title: t('admin.roles'), dataIndex: 'roleIds', render: (ids: string[]) => ids.map((id) => <Tag key={id}>{roleName.get(id) ?? id}</Tag>) },
          { title: t('admin.agent'), render: (_: unknown, a) => (a.isAgent ? <span>{a.skillGroupIds.map((g) => <Tag color="blue" key={g}>{deptName.get(g) ?? g}</Tag>)} ≤ {a.maxConversations}</span> : '—') },
          {
            title: t('admin.active'),
            dataIndex: 'disabled',
            width: 90,
            render: (disabled: boolean, a) => <Switch size="small" aria-label={t('admin.activeOf', { name: a.displayName })} checked={!disabled} disabled={!canWrite} onChange={(on) => void setDisabled(a, !on)} />,
          },
          { title: '', width: 80, render: (_: unknown, a) => canWrite && <Button size="small" onClick={() => setEditing(a)}>{t('admin.edit')}</Button> },
        ]}
      />
      {editing && (
        <AccountForm
          account={editing === 'new' ? null : editing}
          departments={departments.data ?? []}
          roles={roles.data ?? []}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            accounts.reload();
          }}
        />
      )}
    </>
  );
}

type SelectNode = { value: string; title: React.ReactNode; children: SelectNode[] };
const toSelectNode = (n: ReturnType<typeof treeOf>[number]): SelectNode => ({ value: n.key, title: n.title, children: n.children.map(toSelectNode) });

type Fields = { email: string; displayName: string; password?: string; departmentId: string; roleIds: string[]; isAgent: boolean; skillGroupIds: string[]; maxConversations: number };

function AccountForm({ account, departments, roles, onClose, onSaved }: { account: Account | null; departments: Department[]; roles: Role[]; onClose: () => void; onSaved: () => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [form] = Form.useForm<Fields>();
  const [saving, setSaving] = useState(false);
  const isAgent = Form.useWatch('isAgent', form);
  const tree = useMemo(() => treeOf(departments, (d) => d.name).map(toSelectNode), [departments]);
  const skillGroups = departments.filter((d) => d.isSkillGroup);

  const save = async () => {
    const fields = await form.validateFields();
    setSaving(true);
    try {
      const body = { ...fields, skillGroupIds: fields.isAgent ? fields.skillGroupIds : [] };
      if (account) {
        const { password: _unused, ...patch } = body;
        await api('PATCH', `/accounts/${account.id}`, patch);
      } else {
        await api('POST', '/accounts', body);
      }
      message.success(t('admin.saved'));
      onSaved();
    } catch (e) {
      message.error(errorText(e, t));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Modal open title={account ? t('admin.editAccount', { name: account.displayName }) : t('admin.newAccount')} okText={t('admin.save')} cancelText={t('desk.cancel')} onOk={() => void save()} confirmLoading={saving} onCancel={onClose} destroyOnHidden>
      <Form<Fields>
        form={form}
        layout="vertical"
        initialValues={account ? { ...account } : { isAgent: true, maxConversations: 5, roleIds: [], skillGroupIds: [] }}
      >
        <Form.Item name="displayName" label={t('admin.name')} rules={[{ required: true, max: 100 }]}><Input /></Form.Item>
        <Form.Item name="email" label={t('profile.email')} rules={[{ required: true, type: 'email' }]}><Input /></Form.Item>
        {!account && (
          <Form.Item name="password" label={t('login.password')} extra={t('admin.passwordHint')} rules={[{ required: true, min: 10 }]}><Input.Password autoComplete="new-password" /></Form.Item>
        )}
        <Form.Item name="departmentId" label={t('admin.department')} rules={[{ required: true }]}>
          <TreeSelect treeData={tree} treeDefaultExpandAll showSearch treeNodeFilterProp="title" placeholder={t('desk.choose')} />
        </Form.Item>
        <Form.Item name="roleIds" label={t('admin.roles')}>
          <Select mode="multiple" options={roles.map((r) => ({ value: r.id, label: r.name }))} placeholder={t('desk.choose')} />
        </Form.Item>
        <Form.Item name="isAgent" label={t('admin.isAgent')} valuePropName="checked"><Switch /></Form.Item>
        {isAgent && (
          <>
            <Form.Item name="skillGroupIds" label={t('admin.servesGroups')} rules={[{ required: true, type: 'array', min: 1 }]}>
              <Select mode="multiple" options={skillGroups.map((g) => ({ value: g.id, label: g.name }))} placeholder={t('desk.choose')} />
            </Form.Item>
            <Form.Item name="maxConversations" label={t('admin.maxConversations')}><InputNumber min={0} max={100} /></Form.Item>
          </>
        )}
      </Form>
    </Modal>
  );
}
