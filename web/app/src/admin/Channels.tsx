/**
 * Web chat channels (渠道): each a widget a website embeds with one line, routed to a skill group.
 * Create one, copy its snippet, open its live preview (the node's test page), and see the sites
 * it accepts visitors from.
 */
import { useState } from 'react';
import { App, Button, Card, Empty, Form, Input, Modal, Select, Space, Tag, Typography } from 'antd';
import { LinkOutlined, PlusOutlined } from '@ant-design/icons';
import { api, type Channel, type Department } from '../api.ts';
import { errorText } from '../common.tsx';
import { useI18n } from '../i18n.tsx';
import { useFetched } from '../useFetched.ts';

/** The one line a website adds to embed this channel's widget (docs/widget.md). */
export const snippetOf = (channel: Channel, origin: string): string => `<script src="${origin}/widget.js" data-channel="${channel.key}" async></script>`;

export function Channels({ canWrite }: { canWrite: boolean }) {
  const { t } = useI18n();
  const channels = useFetched<Channel[]>('/channels');
  const departments = useFetched<Department[]>('/departments');
  const [creating, setCreating] = useState(false);
  const groupName = (id: string) => departments.data?.find((d) => d.id === id)?.name ?? id;
  const list = channels.data ?? [];
  return (
    <>
      {canWrite && (
        <Space className="kefu-admin-toolbar">
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)}>{t('admin.newChannel')}</Button>
        </Space>
      )}
      {list.length === 0 && !channels.loading && <Empty description={channels.error ? errorText(channels.error, t) : t('admin.nothing')} />}
      <div className="kefu-channel-grid">
        {list.map((c) => (
          <Card key={c.id} size="small" title={c.name} data-channel-key={c.key} extra={<a href={`/test/widget?channel=${encodeURIComponent(c.key)}`} target="_blank" rel="noreferrer"><LinkOutlined /> {t('admin.preview')}</a>}>
            <div className="kefu-channel-facts">
              <span>{t('desk.skillGroup')}: <Tag color="blue">{groupName(c.skillGroupId)}</Tag></span>
              <span>{t('admin.origins')}: {c.allowedOrigins.length === 0 ? <Typography.Text type="secondary">{t('admin.anyOrigin')}</Typography.Text> : c.allowedOrigins.map((o) => <Tag key={o}>{o}</Tag>)}</span>
              {c.identityEnforced && <Tag color="gold">{t('admin.identityEnforced')}</Tag>}
            </div>
            <Typography.Text type="secondary">{t('admin.snippet')}</Typography.Text>
            <Typography.Paragraph className="kefu-snippet" code copyable={{ text: snippetOf(c, location.origin), tooltips: [t('admin.copy'), t('admin.copied')] }}>
              {snippetOf(c, location.origin)}
            </Typography.Paragraph>
          </Card>
        ))}
      </div>
      {creating && (
        <NewChannel
          skillGroups={(departments.data ?? []).filter((d) => d.isSkillGroup)}
          onClose={() => setCreating(false)}
          onCreated={() => {
            setCreating(false);
            channels.reload();
          }}
        />
      )}
    </>
  );
}

function NewChannel({ skillGroups, onClose, onCreated }: { skillGroups: Department[]; onClose: () => void; onCreated: () => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [form] = Form.useForm<{ name: string; skillGroupId: string; allowedOrigins: string[] }>();
  const save = async () => {
    const fields = await form.validateFields();
    try {
      await api('POST', '/channels', fields);
      message.success(t('admin.created'));
      onCreated();
    } catch (e) {
      message.error(errorText(e, t));
    }
  };
  return (
    <Modal open title={t('admin.newChannel')} okText={t('admin.create')} cancelText={t('desk.cancel')} onOk={() => void save()} onCancel={onClose} destroyOnHidden>
      <Form form={form} layout="vertical" initialValues={{ allowedOrigins: [] }}>
        <Form.Item name="name" label={t('admin.name')} rules={[{ required: true, max: 100 }]}><Input aria-label={t('admin.channelName')} /></Form.Item>
        <Form.Item name="skillGroupId" label={t('desk.skillGroup')} rules={[{ required: true }]}>
          <Select aria-label={t('desk.skillGroup')} options={skillGroups.map((g) => ({ value: g.id, label: g.name }))} placeholder={t('desk.choose')} />
        </Form.Item>
        <Form.Item name="allowedOrigins" label={t('admin.origins')} extra={t('admin.originsHint')}>
          <Select mode="tags" aria-label={t('admin.origins')} tokenSeparators={[',', ' ']} placeholder="https://shop.example.com" />
        </Form.Item>
      </Form>
    </Modal>
  );
}
