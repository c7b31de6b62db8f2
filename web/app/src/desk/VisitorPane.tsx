/**
 * The side pane (screen pop): who the visitor is, where they came from (channel, skill group,
 * page, device, language, time zone and local time), what they told the pre-chat form, the note of whoever transferred the
 * conversation, its tags, their contact (ContactCard.tsx), and their earlier conversations with
 * their summaries and ratings.
 */
import { useEffect, useRef } from 'react';
import { Alert, Descriptions, Empty, List, Rate, Select, Tag, Typography } from 'antd';
import { useI18n } from '../i18n.tsx';
import { ContactCard } from './ContactCard.tsx';
import { agentName, channelName, clock, localTime, skillGroupName, visitorName } from './names.ts';
import type { DeskConversation } from './state.ts';
import type { Desk } from './useDesk.tsx';

export function VisitorPane({ c, desk }: { c: DeskConversation; desk: Desk }) {
  const { t, locale } = useI18n();
  const { info } = c;
  const id = info.conversationId;
  // Asked once per conversation shown (and again after a reconnect, when the answer may have been lost).
  const asked = useRef<string | null>(null);
  const online = desk.state.connection === 'online';
  useEffect(() => {
    if (!online) asked.current = null;
    else if (c.earlier === null && asked.current !== id) {
      asked.current = id;
      desk.loadEarlier(id);
    }
  }, [desk, id, c.earlier, online]);

  const page = info.context.page;
  const preChat = Object.entries(info.preChat);
  return (
    <div className="kefu-side" data-testid="visitor-pane">
      <div className="kefu-side-title">
        <Typography.Title level={5} style={{ margin: 0 }} ellipsis>{visitorName(info.visitor, t)}</Typography.Title>
        <span>
          {info.visitor.vip && <Tag color="gold">VIP</Tag>}
          <Tag color={info.visitor.identified ? 'blue' : 'default'}>{info.visitor.identified ? t('desk.identified') : t('desk.anonymousTag')}</Tag>
        </span>
      </div>
      {info.transferMemo && <Alert className="kefu-side-memo" type="info" message={t('desk.transferMemo')} description={info.transferMemo} />}
      <Descriptions size="small" column={1} colon={false} className="kefu-side-facts">
        <Descriptions.Item label={t('desk.skillGroup')}>{skillGroupName(info.skillGroupId, desk.colleagues) || '—'}</Descriptions.Item>
        <Descriptions.Item label={t('desk.channel')}>{channelName(info.channelId, desk.colleagues)}</Descriptions.Item>
        <Descriptions.Item label={t('desk.page')}>
          {page ? (
            <Typography.Text ellipsis={{ tooltip: page.url }} style={{ maxWidth: 170 }}>{page.title || page.url}</Typography.Text>
          ) : '—'}
        </Descriptions.Item>
        {page?.referrer && <Descriptions.Item label={t('desk.referrer')}><Typography.Text ellipsis={{ tooltip: page.referrer }} style={{ maxWidth: 170 }}>{page.referrer}</Typography.Text></Descriptions.Item>}
        <Descriptions.Item label={t('desk.device')}>{info.context.device ?? '—'}</Descriptions.Item>
        <Descriptions.Item label={t('desk.locale')}>{info.context.locale ?? '—'}</Descriptions.Item>
        <Descriptions.Item label={t('desk.location')}>{(info.context.timeZone && localTime(info.context.timeZone, locale, Date.now())) || '—'}</Descriptions.Item>
        {preChat.map(([field, value]) => <Descriptions.Item key={field} label={field}>{value}</Descriptions.Item>)}
      </Descriptions>
      <ConversationTags c={c} desk={desk} />
      {desk.may('contacts.read') && <ContactCard key={info.visitor.id} visitorId={info.visitor.id} visitorName={info.visitor.name} canWrite={desk.may('contacts.write')} />}
      <Typography.Text strong className="kefu-side-heading">{t('desk.earlier')}</Typography.Text>
      {c.earlier === null ? (
        <Typography.Text type="secondary">{t('desk.loading')}</Typography.Text>
      ) : c.earlier.filter((e) => e.conversationId !== id).length === 0 ? (
        <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('desk.noEarlier')} />
      ) : (
        <List
          size="small"
          dataSource={c.earlier.filter((e) => e.conversationId !== id)}
          renderItem={(e) => (
            <List.Item key={e.conversationId}>
              <List.Item.Meta
                title={<span>{clock(e.createdAt, locale)} · {e.agentId ? agentName(e.agentId, desk.colleagues, t) : t('desk.noAgent')}</span>}
                description={
                  <>
                    {e.summary && <div className="kefu-side-summary">{e.summary}</div>}
                    {e.rating && <Rate disabled count={5} value={e.rating.score} style={{ fontSize: 12 }} />}
                    {e.status === 'open' && <Tag color="green">{t('desk.open')}</Tag>}
                  </>
                }
              />
            </List.Item>
          )}
        />
      )}
    </div>
  );
}

/**
 * The conversation's tags (标签): its agent edits them (also after the close, as a wrap-up), the
 * tags on the other conversations of the desk offered first; everyone else reads them.
 */
function ConversationTags({ c, desk }: { c: DeskConversation; desk: Desk }) {
  const { t } = useI18n();
  const id = c.info.conversationId;
  const mine = c.info.agentId !== null && c.info.agentId === desk.state.agent?.id;
  const known = [...new Set(Object.values(desk.state.conversations).flatMap((o) => o.info.tags))].sort();
  return (
    <div className="kefu-side-tags">
      <Typography.Text strong className="kefu-side-heading">{t('desk.tags')}</Typography.Text>
      {mine ? (
        <Select<string[]>
          mode="tags"
          aria-label={t('desk.tags')}
          style={{ width: '100%' }}
          placeholder={t('desk.addTags')}
          value={[...c.info.tags]}
          maxCount={10}
          tokenSeparators={[',', '，']}
          options={known.map((tag) => ({ value: tag, label: tag }))}
          onChange={(tags) => desk.tag(id, tags)}
        />
      ) : c.info.tags.length ? (
        <div>{c.info.tags.map((tag) => <Tag key={tag} color="blue">{tag}</Tag>)}</div>
      ) : (
        <Typography.Text type="secondary">{t('desk.noTags')}</Typography.Text>
      )}
    </div>
  );
}
