/**
 * Who is on the site now (在线访客), asked for every 10 s while shown: name, the page they are on,
 * their local time, how long they have been there — and the proactive invitation (主动邀请) with an optional
 * greeting, for those not already in a conversation.
 */
import { useEffect, useRef, useState } from 'react';
import { Button, Empty, Input, Popover, Tag, Typography } from 'antd';
import { useI18n } from '../i18n.tsx';
import { duration, localTime, skillGroupName, visitorName } from './names.ts';
import type { OnlineVisitor } from './state.ts';
import type { Desk } from './useDesk.tsx';
import { useNow } from './useSize.ts';

const POLL_MS = 10_000;

export function OnlineVisitors({ desk }: { desk: Desk }) {
  const { t, locale } = useI18n();
  const now = useNow(10_000);
  const latest = useRef(desk);
  latest.current = desk;
  const online = desk.state.connection === 'online';
  useEffect(() => {
    if (!online) return;
    latest.current.refreshVisitors();
    const timer = setInterval(() => latest.current.refreshVisitors(), POLL_MS);
    return () => clearInterval(timer);
  }, [online]);

  const { visitors, invited, conversations } = desk.state;
  // In a conversation of mine: nothing to invite them to (in someone else's, the gateway answers VISITOR_BUSY).
  const inChatWithMe = (v: OnlineVisitor) => v.conversationId !== null && conversations[v.conversationId] !== undefined && conversations[v.conversationId]!.info.status !== 'closed';
  if (visitors.length === 0) return <Empty className="kefu-visitors-none" image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('desk.noVisitors')} />;
  return (
    <div className="kefu-visitors" role="list" aria-label={t('desk.visitors')}>
      {visitors.map((v) => {
        const name = visitorName({ id: v.visitorId, name: v.name }, t);
        return (
          <div key={v.visitorId} className="kefu-visitor" role="listitem" data-visitor-id={v.visitorId}>
            <div className="kefu-conv-avatar">{name.slice(0, 1).toUpperCase()}</div>
            <div className="kefu-conv-body">
              <div className="kefu-conv-name">
                <span>{name}</span>
                <span className="kefu-conv-wait">{duration(now - v.since, t)}</span>
              </div>
              <Typography.Text className="kefu-conv-preview" ellipsis={{ tooltip: v.page?.url }}>{v.page ? v.page.title || v.page.url : skillGroupName(v.skillGroupId, desk.colleagues)}</Typography.Text>
              {v.timeZone && <div className="kefu-visitor-local">{localTime(v.timeZone, locale, now)}</div>}
            </div>
            {inChatWithMe(v) ? <Tag color="blue">{t('desk.inChat')}</Tag> : invited[v.visitorId] !== undefined ? <Tag color="green">{t('desk.invitedTag')}</Tag> : <InviteButton visitor={v} desk={desk} />}
          </div>
        );
      })}
    </div>
  );
}

function InviteButton({ visitor, desk }: { visitor: OnlineVisitor; desk: Desk }) {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  const [text, setText] = useState('');
  const send = () => {
    desk.inviteVisitor(visitor.visitorId, text.trim());
    setOpen(false);
  };
  return (
    <Popover
      open={open}
      onOpenChange={setOpen}
      trigger="click"
      title={t('desk.inviteVisitor')}
      content={
        <div className="kefu-invite-form">
          <Input.TextArea aria-label={t('desk.greeting')} placeholder={t('desk.greetingHint')} value={text} onChange={(e) => setText(e.target.value)} maxLength={500} autoSize={{ minRows: 2, maxRows: 4 }} />
          <Button type="primary" size="small" onClick={send}>{t('desk.inviteSend')}</Button>
        </div>
      }
    >
      <Button size="small">{t('desk.inviteShort')}</Button>
    </Popover>
  );
}
