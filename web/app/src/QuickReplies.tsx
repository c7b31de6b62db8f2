/**
 * Managing quick replies (快捷回复): one's own (on My profile) or those the departments of one's
 * subtree share (the admin console). One table and one form for both; the desk inserts them with
 * `/` (desk/Chat.tsx).
 */
import { useState } from 'react';
import { App, Button, Form, Input, Modal, Popconfirm, Select, Space, Table, Tag, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { api, type Department, type QuickReply } from './api.ts';
import { errorText } from './common.tsx';
import { useI18n } from './i18n.tsx';
import { useFetched } from './useFetched.ts';

type Fields = { shortcut: string; content: string; departmentId?: string };

/** A department named with its ancestors (`Kefu / Support / After-sales`), so two of one name can be told apart. */
const pathName = (d: Department, all: readonly Department[]): string =>
  d.path
    .split('/')
    .filter(Boolean)
    .map((id) => all.find((a) => a.id === id)?.name ?? id)
    .join(' / ');

/** `shared`: the departments' replies (with a department column and picker); otherwise one's own. */
export function QuickReplyList({ shared, canWrite = true }: { shared: boolean; canWrite?: boolean }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const path = shared ? '/quick-replies' : '/me/quick-replies';
  const replies = useFetched<QuickReply[]>(path);
  const departments = useFetched<Department[]>(shared ? '/departments' : null);
  const [editing, setEditing] = useState<QuickReply | 'new' | null>(null);
  // Under /me the shared ones come too (the desk's list); here only one's own are managed.
  const rows = (replies.data ?? []).filter((r) => shared || r.departmentId === null);
  const remove = async (r: QuickReply) => {
    try {
      await api('DELETE', `${path}/${r.id}`);
      replies.reload();
    } catch (e) {
      message.error(errorText(e, t));
    }
  };
  return (
    <>
      {canWrite && (
        <Space className="kefu-admin-toolbar">
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing('new')}>{t('replies.new')}</Button>
          <Typography.Text type="secondary">{t(shared ? 'replies.sharedHint' : 'replies.hint')}</Typography.Text>
        </Space>
      )}
      <Table<QuickReply>
        size="small"
        rowKey="id"
        loading={replies.loading}
        dataSource={rows}
        pagination={{ pageSize: 50, hideOnSinglePage: true }}
        locale={{ emptyText: replies.error ? errorText(replies.error, t) : t('replies.none') }}
        columns={[
          ...(shared ? [{ title: t('replies.department'), dataIndex: 'departmentName', width: 160, render: (name: string | null) => <Tag color="blue">{name}</Tag> }] : []),
          { title: t('replies.shortcut'), dataIndex: 'shortcut', width: 160, render: (s: string) => <code className="kefu-shortcut">/{s}</code> },
          { title: t('replies.content'), dataIndex: 'content', render: (c: string) => <div className="kefu-reply-content">{c}</div> },
          ...(canWrite
            ? [
                {
                  title: '',
                  width: 150,
                  render: (_: unknown, r: QuickReply) => (
                    <Space size={4}>
                      <Button size="small" onClick={() => setEditing(r)}>{t('admin.edit')}</Button>
                      <Popconfirm title={t('replies.deleteConfirm', { shortcut: r.shortcut })} okText={t('replies.delete')} okButtonProps={{ danger: true }} cancelText={t('desk.cancel')} onConfirm={() => void remove(r)}>
                        <Button size="small" danger>{t('replies.delete')}</Button>
                      </Popconfirm>
                    </Space>
                  ),
                },
              ]
            : []),
        ]}
      />
      {editing && (
        <QuickReplyForm
          path={path}
          reply={editing === 'new' ? null : editing}
          departments={shared ? (departments.data ?? []) : null}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            replies.reload();
          }}
        />
      )}
    </>
  );
}

/** Adding or changing a reply; `departments` (shared replies only) are where a new one may be shared. */
function QuickReplyForm({ path, reply, departments, onClose, onSaved }: { path: string; reply: QuickReply | null; departments: Department[] | null; onClose: () => void; onSaved: () => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [form] = Form.useForm<Fields>();
  const [busy, setBusy] = useState(false);
  const save = async () => {
    const fields = await form.validateFields();
    setBusy(true);
    try {
      const body = reply ? { shortcut: fields.shortcut, content: fields.content } : fields;
      await api(reply ? 'PATCH' : 'POST', reply ? `${path}/${reply.id}` : path, body);
      message.success(t('admin.saved'));
      onSaved();
    } catch (e) {
      message.error(errorText(e, t));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal open width={560} title={reply ? t('replies.edit', { shortcut: reply.shortcut }) : t('replies.new')} okText={t('admin.save')} cancelText={t('desk.cancel')} confirmLoading={busy} onOk={() => void save()} onCancel={onClose} destroyOnHidden>
      <Form form={form} layout="vertical" initialValues={reply ? { shortcut: reply.shortcut, content: reply.content } : {}}>
        {departments && !reply && (
          <Form.Item name="departmentId" label={t('replies.department')} extra={t('replies.departmentHint')} rules={[{ required: true, message: t('replies.department') }]}>
            <Select aria-label={t('replies.department')} showSearch optionFilterProp="label" placeholder={t('desk.choose')} options={departments.map((d) => ({ value: d.id, label: pathName(d, departments) }))} />
          </Form.Item>
        )}
        <Form.Item name="shortcut" label={t('replies.shortcut')} extra={t('replies.shortcutHint')} rules={[{ required: true, max: 32, pattern: /^[^\s/]+$/u, message: t('replies.shortcutHint') }]}>
          <Input aria-label={t('replies.shortcut')} prefix="/" maxLength={32} />
        </Form.Item>
        <Form.Item name="content" label={t('replies.content')} rules={[{ required: true, whitespace: true, max: 2000, message: t('replies.content') }]}>
          <Input.TextArea aria-label={t('replies.content')} autoSize={{ minRows: 3, maxRows: 10 }} showCount maxLength={2000} />
        </Form.Item>
      </Form>
    </Modal>
  );
}
