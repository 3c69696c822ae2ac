import { DownloadOutlined, FileProtectOutlined } from '@ant-design/icons';
import {
  App,
  Button,
  Card,
  Checkbox,
  Descriptions,
  Drawer,
  Empty,
  Flex,
  Grid,
  Space,
  Spin,
  Tag,
  Typography,
} from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { api } from '../api.ts';
import { ErrorAlert } from '../shell/ErrorAlert.tsx';
import { errorText } from '../shell/errors.ts';
import { dateTime, percentPlain, yuan } from '../shell/format.ts';
import { Page } from '../shell/Page.tsx';
import { useApi } from '../shell/useApi.ts';

/** GET /api/member/split-agreements: the member's own commission agreements (money in fen). */
export interface SplitAgreement {
  id: string;
  agreementNo: string;
  merchantName: string;
  appId: string;
  ruleNo: string;
  ruleName: string;
  ruleState: 'enabled' | 'disabled';
  basis: 'ppm' | 'fixed';
  value: number;
  floor: number | null;
  cap: number | null;
  state: 'pending' | 'signed';
  sentAt: string | null;
  signedAt: string | null;
  signedVia: 'member_portal' | null;
  termsDigest: string;
}

const documentPath = (id: string) => `/api/member/split-agreements/${encodeURIComponent(id)}/document`;

/** The commission in the member's words: a rate (with its floor and cap) or a fixed amount. */
function useCommission() {
  const { t } = useTranslation();
  return (a: Pick<SplitAgreement, 'basis' | 'value' | 'floor' | 'cap'>) => {
    const base =
      a.basis === 'ppm'
        ? t('member:agreements.rate', { percent: `${percentPlain(a.value)}%` })
        : t('member:agreements.fixed', { amount: yuan(a.value) });
    const limits = [
      a.floor !== null ? t('member:agreements.floor', { amount: yuan(a.floor) }) : null,
      a.cap !== null ? t('member:agreements.cap', { amount: yuan(a.cap) }) : null,
    ].filter(Boolean);
    return limits.length ? `${base} (${limits.join(', ')})` : base;
  };
}

/**
 * 待签协议 (seed 001 §1.8.1, the member's side): the split-and-commission agreements the marketplace
 * asked this member to sign, pending first. 阅读并签署 opens the agreement's text (in the console's
 * language; the drawer follows `?agreement=`), signed once the member ticks that it read and agrees;
 * a signed one downloads as the document kept at the signature.
 */
export function MemberAgreementsPage() {
  const { t } = useTranslation();
  const screens = Grid.useBreakpoint();
  const list = useApi<{ items: SplitAgreement[] }>('/api/member/split-agreements');
  const [search, setSearch] = useSearchParams();
  const open = search.get('agreement');
  const commission = useCommission();
  const items = list.data?.items ?? [];
  const pending = items.filter((a) => a.state === 'pending').length;
  const show = (id: string | null) => {
    const next = new URLSearchParams(search);
    if (id) next.set('agreement', id);
    else next.delete('agreement');
    setSearch(next, { replace: !id });
  };
  return (
    <Page
      title={t('member:agreements.title')}
      subTitle={screens.md ? t('member:agreements.subtitle') : undefined}
    >
      <ErrorAlert error={list.error} style={{ marginBottom: 12 }} />
      {list.loading && !list.data ? (
        <Spin />
      ) : items.length === 0 ? (
        <Card>
          <Empty description={t('member:agreements.empty')} />
        </Card>
      ) : (
        <Space direction="vertical" size={12} style={{ width: '100%' }} data-testid="split-agreements">
          {pending > 0 && (
            <Typography.Text type="warning" data-testid="agreements-pending">
              {t('member:agreements.pendingCount', { count: pending })}
            </Typography.Text>
          )}
          {items.map((a) => (
            <Card
              key={a.id}
              size="small"
              data-testid="split-agreement"
              data-state={a.state}
              title={
                <Flex gap={8} align="center" wrap>
                  <FileProtectOutlined />
                  <span data-qy-data>{a.ruleName}</span>
                  <Tag color={a.state === 'signed' ? 'success' : 'warning'} style={{ marginInlineEnd: 0 }}>
                    {t(`member:agreements.state.${a.state}`)}
                  </Tag>
                </Flex>
              }
              extra={
                a.state === 'signed' ? (
                  <Button size="small" icon={<DownloadOutlined />} href={documentPath(a.id)} download>
                    {t('member:agreements.download')}
                  </Button>
                ) : (
                  <Button size="small" type="primary" onClick={() => show(a.id)}>
                    {t('member:agreements.readAndSign')}
                  </Button>
                )
              }
            >
              <Descriptions column={screens.md ? 2 : 1} size="small">
                <Descriptions.Item label={t('member:agreements.merchant')}>
                  {a.merchantName}
                </Descriptions.Item>
                <Descriptions.Item label={t('member:agreements.app')}>
                  <span className="qy-mono">{a.appId}</span>
                </Descriptions.Item>
                <Descriptions.Item label={t('member:agreements.commission')}>
                  {commission(a)}
                </Descriptions.Item>
                <Descriptions.Item label={t('member:agreements.number')}>
                  <span className="qy-mono">{a.agreementNo}</span>
                </Descriptions.Item>
                {a.state === 'signed' ? (
                  <Descriptions.Item label={t('member:agreements.signedAt')}>
                    {dateTime(a.signedAt)}
                  </Descriptions.Item>
                ) : (
                  <Descriptions.Item label={t('member:agreements.sentAt')}>
                    {dateTime(a.sentAt)}
                  </Descriptions.Item>
                )}
              </Descriptions>
              {a.state === 'signed' && (
                <Button size="small" type="link" style={{ paddingInline: 0 }} onClick={() => show(a.id)}>
                  {t('member:agreements.read')}
                </Button>
              )}
            </Card>
          ))}
        </Space>
      )}
      <AgreementDrawer
        id={open}
        onClose={() => show(null)}
        onSigned={() => {
          void list.reload();
        }}
      />
    </Page>
  );
}

function AgreementDrawer({
  id,
  onClose,
  onSigned,
}: {
  id: string | null;
  onClose: () => void;
  onSigned: () => void;
}) {
  const { t, i18n } = useTranslation();
  const { message } = App.useApp();
  const screens = Grid.useBreakpoint();
  const lang = i18n.language.startsWith('en') ? 'en' : 'zh';
  const detail = useApi<SplitAgreement & { text: string }>(
    id ? `/api/member/split-agreements/${encodeURIComponent(id)}?lang=${lang}` : null,
  );
  const [agreed, setAgreed] = useState(false);
  const [signing, setSigning] = useState(false);
  const a = id && detail.data?.id === id ? detail.data : undefined;
  const sign = async () => {
    if (!a) return;
    setSigning(true);
    try {
      await api.post(`/api/member/split-agreements/${encodeURIComponent(a.id)}/sign`, {
        termsDigest: a.termsDigest,
      });
      message.success(t('member:agreements.signedDone'));
      setAgreed(false);
      await detail.reload();
      onSigned();
    } catch (e) {
      message.error(errorText(e));
      // The terms may have changed meanwhile: show the agreement as it is now.
      await detail.reload();
    } finally {
      setSigning(false);
    }
  };
  return (
    <Drawer
      open={id !== null}
      onClose={() => {
        setAgreed(false);
        onClose();
      }}
      width={screens.md ? 640 : '100%'}
      title={t('member:agreements.drawerTitle')}
      destroyOnHidden
      footer={
        a?.state === 'pending' ? (
          <Flex justify="space-between" align="center" gap={8} wrap>
            <Checkbox checked={agreed} onChange={(e) => setAgreed(e.target.checked)} data-testid="agree">
              {t('member:agreements.agree')}
            </Checkbox>
            <Button type="primary" disabled={!agreed} loading={signing} onClick={sign} data-testid="sign">
              {t('member:agreements.sign')}
            </Button>
          </Flex>
        ) : a?.state === 'signed' ? (
          <Button icon={<DownloadOutlined />} href={documentPath(a.id)} download>
            {t('member:agreements.download')}
          </Button>
        ) : null
      }
    >
      <ErrorAlert error={detail.error} style={{ marginBottom: 12 }} />
      {!a ? (
        !detail.error && <Spin />
      ) : (
        <div data-testid="agreement-text">
          {a.state === 'signed' && (
            <Typography.Paragraph type="success">
              {t('member:agreements.signedNote', { at: dateTime(a.signedAt) })}
            </Typography.Paragraph>
          )}
          <pre
            data-qy-data
            style={{
              whiteSpace: 'pre-wrap',
              wordBreak: 'break-word',
              fontFamily: 'inherit',
              fontSize: 14,
              lineHeight: 1.8,
              margin: 0,
            }}
          >
            {a.text}
          </pre>
        </div>
      )}
    </Drawer>
  );
}
