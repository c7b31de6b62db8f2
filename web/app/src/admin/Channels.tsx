/**
 * Web chat channels (渠道): each a widget a website embeds with one line, routed to a skill group.
 * Create or edit one (ChannelForm.tsx: the sites it accepts, identity, the widget's look and
 * pre-chat form, with a preview), copy its snippet, open it live on the node's test page.
 */
import { useState } from 'react';
import { Button, Card, Empty, Space, Tag, Typography } from 'antd';
import { EditOutlined, LinkOutlined, PlusOutlined } from '@ant-design/icons';
import type { Channel, Department } from '../api.ts';
import { errorText } from '../common.tsx';
import { useI18n } from '../i18n.tsx';
import { useFetched } from '../useFetched.ts';
import { ChannelForm, DEFAULT_COLOR } from './ChannelForm.tsx';

/** The one line a website adds to embed this channel's widget (docs/widget.md). */
export const snippetOf = (channel: Channel, origin: string): string => `<script src="${origin}/widget.js" data-channel="${channel.key}" async></script>`;

export function Channels({ canWrite }: { canWrite: boolean }) {
  const { t } = useI18n();
  const channels = useFetched<Channel[]>('/channels');
  const departments = useFetched<Department[]>('/departments');
  const [editing, setEditing] = useState<Channel | 'new' | null>(null);
  const groupName = (id: string) => departments.data?.find((d) => d.id === id)?.name ?? id;
  const list = channels.data ?? [];
  return (
    <>
      {canWrite && (
        <Space className="kefu-admin-toolbar">
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing('new')}>{t('admin.newChannel')}</Button>
        </Space>
      )}
      {list.length === 0 && !channels.loading && <Empty description={channels.error ? errorText(channels.error, t) : t('admin.nothing')} />}
      <div className="kefu-channel-grid">
        {list.map((c) => (
          <Card key={c.id} size="small" title={c.name} data-channel-key={c.key} extra={
              <Space size={12}>
                {canWrite && <Button size="small" icon={<EditOutlined />} onClick={() => setEditing(c)}>{t('admin.edit')}</Button>}
                <a href={`/test/widget?channel=${encodeURIComponent(c.key)}`} target="_blank" rel="noreferrer"><LinkOutlined /> {t('admin.preview')}</a>
              </Space>
            }>
            <div className="kefu-channel-facts">
              <span>{t('desk.skillGroup')}: <Tag color="blue">{groupName(c.skillGroupId)}</Tag></span>
              <span>{t('admin.origins')}: {c.allowedOrigins.length === 0 ? <Typography.Text type="secondary">{t('admin.anyOrigin')}</Typography.Text> : c.allowedOrigins.map((o) => <Tag key={o}>{o}</Tag>)}</span>
              {c.identityEnforced && <Tag color="gold">{t('admin.identityEnforced')}</Tag>}
              <span>{t('admin.appearance')}: <span className="kefu-swatch" style={{ background: c.appearance.color ?? DEFAULT_COLOR }} /> {c.appearance.position === 'left' ? t('admin.left') : t('admin.right')}{c.appearance.preChatFields?.length ? ` · ${t('admin.preChat')} (${c.appearance.preChatFields.length})` : ''}</span>
            </div>
            <Typography.Text type="secondary">{t('admin.snippet')}</Typography.Text>
            <Typography.Paragraph className="kefu-snippet" code copyable={{ text: snippetOf(c, location.origin), tooltips: [t('admin.copy'), t('admin.copied')] }}>
              {snippetOf(c, location.origin)}
            </Typography.Paragraph>
          </Card>
        ))}
      </div>
      {editing && (
        <ChannelForm
          channel={editing === 'new' ? null : editing}
          skillGroups={(departments.data ?? []).filter((d) => d.isSkillGroup)}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            channels.reload();
          }}
        />
      )}
    </>
  );
}
