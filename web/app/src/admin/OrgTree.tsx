/**
 * The org tree (组织机构): departments and skill groups as a tree; add a department or a skill
 * group below the selected one, rename it, flag it as a skill group, delete an empty one. The
 * server decides what one may change (departments strictly below one's own); its refusals show.
 */
import { useMemo, useState } from 'react';
import { App, Button, Card, Empty, Form, Input, Modal, Popconfirm, Space, Switch, Tag, Tree, Typography } from 'antd';
import { ApartmentOutlined, TeamOutlined } from '@ant-design/icons';
import { api, type Department } from '../api.ts';
import { errorText } from '../common.tsx';
import { useI18n } from '../i18n.tsx';
import { DepartmentSettings } from './Settings.tsx';
import { useFetched } from '../useFetched.ts';

type TreeNode = { key: string; title: React.ReactNode; children: TreeNode[] };

/** Departments (in tree order) as nested nodes; a department whose parent is out of sight is a root. */
export function treeOf(departments: readonly Department[], title: (d: Department) => React.ReactNode): TreeNode[] {
  const nodes = new Map(departments.map((d) => [d.id, { key: d.id, title: title(d), children: [] as TreeNode[] }]));
  const roots: TreeNode[] = [];
  for (const d of departments) {
    const parent = d.parentId ? nodes.get(d.parentId) : undefined;
    (parent ? parent.children : roots).push(nodes.get(d.id)!);
  }
  return roots;
}

export function OrgTree({ canWrite, settings }: { canWrite: boolean; settings: { read: boolean; write: boolean } }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const departments = useFetched<Department[]>('/departments');
  const [selected, setSelected] = useState<string | null>(null);
  const [adding, setAdding] = useState<'department' | 'skillGroup' | null>(null);
  // Everything is open, new departments too, except what the admin folded.
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set());
  const list = departments.data ?? [];
  const current = list.find((d) => d.id === selected) ?? null;
  const tree = useMemo(
    () =>
      treeOf(list, (d) => (
        <span className="kefu-org-node">
          {d.isSkillGroup ? <TeamOutlined /> : <ApartmentOutlined />} {d.name}
          {d.isSkillGroup && <Tag color="blue" className="kefu-org-tag">{t('admin.skillGroup')}</Tag>}
        </span>
      )),
    [list, t],
  );

  const change = async (action: () => Promise<unknown>, done: string) => {
    try {
      await action();
      message.success(done);
      departments.reload();
    } catch (e) {
      message.error(errorText(e, t));
    }
  };

  return (
    <div className="kefu-admin-split">
      <Card size="small" title={t('admin.orgTree')} loading={departments.loading && !departments.data}>
        {tree.length === 0 ? (
          <Empty description={departments.error ? errorText(departments.error, t) : t('admin.nothing')} />
        ) : (
          <Tree
            blockNode
            treeData={tree}
            expandedKeys={list.filter((d) => !collapsed.has(d.id)).map((d) => d.id)}
            onExpand={(keys) => setCollapsed(new Set(list.map((d) => d.id).filter((id) => !keys.includes(id))))}
            selectedKeys={selected ? [selected] : []}
            onSelect={(keys) => setSelected((keys[0] as string | undefined) ?? null)}
          />
        )}
      </Card>
      <Card size="small" title={current ? current.name : t('admin.pickDepartment')}>
        {current ? (
          <DepartmentDetails
            key={current.id}
            department={current}
            canWrite={canWrite}
            onAdd={setAdding}
            onRename={(name) => change(() => api('PATCH', `/departments/${current.id}`, { name }), t('admin.saved'))}
            onSkillGroup={(isSkillGroup) => change(() => api('PATCH', `/departments/${current.id}`, { isSkillGroup }), t('admin.saved'))}
            onDelete={() => change(async () => { await api('DELETE', `/departments/${current.id}`); setSelected(null); }, t('admin.deleted'))}
          />
        ) : (
          <Typography.Text type="secondary">{t('admin.pickDepartmentHint')}</Typography.Text>
        )}
        {current && settings.read && (
          <>
            <Typography.Title level={5} className="kefu-settings-title">{t('settings.title')}</Typography.Title>
            <DepartmentSettings key={current.id} department={current} departments={list} canWrite={settings.write} />
          </>
        )}
      </Card>
      {adding && current && (
        <NewDepartment
          parent={current}
          skillGroup={adding === 'skillGroup'}
          onClose={() => setAdding(null)}
          onCreate={(name) => change(async () => { const d = await api<Department>('POST', '/departments', { parentId: current.id, name, isSkillGroup: adding === 'skillGroup' }); setSelected(d.id); setAdding(null); }, t('admin.created'))}
        />
      )}
    </div>
  );
}

function DepartmentDetails(props: { department: Department; canWrite: boolean; onAdd: (kind: 'department' | 'skillGroup') => void; onRename: (name: string) => void; onSkillGroup: (on: boolean) => void; onDelete: () => void }) {
  const { t } = useI18n();
  const { department: d, canWrite } = props;
  const [name, setName] = useState(d.name);
  return (
    <Form layout="vertical" disabled={!canWrite}>
      <Form.Item label={t('admin.name')}>
        <Space.Compact style={{ width: '100%' }}>
          <Input aria-label={t('admin.name')} value={name} maxLength={100} onChange={(e) => setName(e.target.value)} />
          <Button onClick={() => props.onRename(name.trim())} disabled={!name.trim() || name.trim() === d.name}>{t('admin.save')}</Button>
        </Space.Compact>
      </Form.Item>
      <Form.Item label={t('admin.isSkillGroup')} extra={t('admin.isSkillGroupHint')}>
        <Switch aria-label={t('admin.isSkillGroup')} checked={d.isSkillGroup} onChange={props.onSkillGroup} />
      </Form.Item>
      <Space wrap>
        <Button type="primary" onClick={() => props.onAdd('department')}>{t('admin.addDepartment')}</Button>
        <Button onClick={() => props.onAdd('skillGroup')}>{t('admin.addSkillGroup')}</Button>
        <Popconfirm title={t('admin.deleteConfirm', { name: d.name })} okText={t('admin.delete')} cancelText={t('desk.cancel')} onConfirm={props.onDelete}>
          <Button danger>{t('admin.delete')}</Button>
        </Popconfirm>
      </Space>
    </Form>
  );
}

function NewDepartment({ parent, skillGroup, onClose, onCreate }: { parent: Department; skillGroup: boolean; onClose: () => void; onCreate: (name: string) => void }) {
  const { t } = useI18n();
  const [name, setName] = useState('');
  return (
    <Modal open title={skillGroup ? t('admin.addSkillGroupIn', { parent: parent.name }) : t('admin.addDepartmentIn', { parent: parent.name })} okText={t('admin.create')} cancelText={t('desk.cancel')} okButtonProps={{ disabled: !name.trim() }} onOk={() => onCreate(name.trim())} onCancel={onClose} destroyOnHidden>
      <Form layout="vertical">
        <Form.Item label={t('admin.name')}>
          <Input aria-label={t('admin.newName')} autoFocus value={name} maxLength={100} onChange={(e) => setName(e.target.value)} onPressEnter={() => name.trim() && onCreate(name.trim())} />
        </Form.Item>
      </Form>
    </Modal>
  );
}
