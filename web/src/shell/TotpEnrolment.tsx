import { CopyOutlined, DownloadOutlined, SafetyCertificateOutlined } from '@ant-design/icons';
import { ProForm, ProFormText } from '@ant-design/pro-components';
import { Alert, App, Button, Col, Flex, Image, Result, Row, Skeleton, Space, Steps, Typography } from 'antd';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, setCsrfToken } from '../api.ts';
import { downloadText } from './download.ts';
import { describeError, errorText } from './errors.ts';
import type { Session } from './session.tsx';

interface EnrolStart {
  secret: string;
  otpauthUrl: string;
  qrDataUrl: string;
}

interface EnrolConfirm {
  recoveryCodes: string[];
  session: Session;
}

export interface TotpEnrolmentProps {
  /** Called after the person confirmed saving the recovery codes, with the session the server returned. */
  onDone: (session: Session) => void;
  /** Shows a cancel button (account security); the login flow has none. */
  onCancel?: () => void;
}

/** Enrol an authenticator: QR and key → confirm with a code → the ten recovery codes, shown once. */
export function TotpEnrolment({ onDone, onCancel }: TotpEnrolmentProps) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [start, setStart] = useState<EnrolStart | null>(null);
  const [startError, setStartError] = useState<unknown>(null);
  const [confirmed, setConfirmed] = useState<EnrolConfirm | null>(null);
  const started = useRef(false);

  const begin = async () => {
    setStartError(null);
    try {
      setStart(await api.post<EnrolStart>('/api/auth/totp/enrol/start'));
    } catch (e) {
      setStartError(e);
    }
  };

  useEffect(() => {
    if (started.current) return;
    started.current = true;
    void begin();
  });

  if (startError) {
    const { title, detail } = describeError(startError);
    return (
      <Result
        status="error"
        title={title}
        subTitle={detail}
        extra={<Button onClick={() => void begin()}>{t('actions.refresh')}</Button>}
      />
    );
  }

  if (confirmed)
    return <RecoveryCodes codes={confirmed.recoveryCodes} onSaved={() => onDone(confirmed.session)} />;

  return (
    <div>
      <Steps
        size="small"
        current={1}
        style={{ marginBottom: 24 }}
        items={[
          { title: t('totp.stepScan') },
          { title: t('totp.stepVerify') },
          { title: t('totp.stepCodes') },
        ]}
      />
      {!start ? (
        <Skeleton active paragraph={{ rows: 6 }} />
      ) : (
        <Row gutter={[24, 16]} align="middle">
          <Col xs={24} sm={10} style={{ textAlign: 'center' }}>
            <Image
              src={start.qrDataUrl}
              alt={t('totp.qrAlt')}
              width={180}
              height={180}
              preview={false}
              style={{ border: '1px solid #f0f0f0', borderRadius: 8, padding: 6, background: '#fff' }}
            />
          </Col>
          <Col xs={24} sm={14}>
            <Typography.Paragraph type="secondary" style={{ marginBottom: 8 }}>
              {t('totp.scanHint')}
            </Typography.Paragraph>
            <Typography.Paragraph type="secondary" style={{ marginBottom: 4 }}>
              {t('totp.secretHint')}
            </Typography.Paragraph>
            <Typography.Paragraph
              className="qy-mono"
              copyable={{ text: start.secret }}
              data-testid="totp-secret"
              style={{ fontSize: 15, letterSpacing: 1 }}
            >
              {start.secret.replace(/(.{4})/g, '$1 ').trim()}
            </Typography.Paragraph>
            <ProForm<{ code: string }>
              layout="vertical"
              submitter={{
                render: (props) => (
                  <Space>
                    <Button
                      type="primary"
                      icon={<SafetyCertificateOutlined />}
                      onClick={() => props.submit()}
                    >
                      {t('totp.verify')}
                    </Button>
                    {onCancel && <Button onClick={onCancel}>{t('actions.cancel')}</Button>}
                  </Space>
                ),
              }}
              onFinish={async ({ code }) => {
                try {
                  const answer = await api.post<EnrolConfirm>('/api/auth/totp/enrol/confirm', {
                    code: code.trim(),
                  });
                  setCsrfToken(answer.session.csrfToken);
                  setConfirmed(answer);
                  return true;
                } catch (e) {
                  message.error(errorText(e));
                  return false;
                }
              }}
            >
              <ProFormText
                name="code"
                label={t('totp.code')}
                placeholder={t('totp.codePlaceholder')}
                fieldProps={{ autoComplete: 'one-time-code', inputMode: 'numeric', maxLength: 6 }}
                rules={[{ required: true, pattern: /^\s*\d{6}\s*$/, message: t('totp.codeRule') }]}
              />
            </ProForm>
          </Col>
        </Row>
      )}
    </div>
  );
}

export interface RecoveryCodesProps {
  codes: string[];
  onSaved: () => void;
}

/** The recovery codes, with copy and download, until the person says they saved them. */
export function RecoveryCodes({ codes, onSaved }: RecoveryCodesProps) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const text = `${t('totp.fileHeader')}\n\n${codes.join('\n')}\n`;
  return (
    <div data-testid="recovery-codes">
      <Steps
        size="small"
        current={2}
        style={{ marginBottom: 24 }}
        items={[
          { title: t('totp.stepScan') },
          { title: t('totp.stepVerify') },
          { title: t('totp.stepCodes') },
        ]}
      />
      <Alert type="warning" showIcon message={t('totp.recoveryTitle')} description={t('totp.recoveryDesc')} />
      <div className="qy-codes qy-mono" style={{ margin: '16px 0' }}>
        {codes.map((code) => (
          <span key={code}>{code}</span>
        ))}
      </div>
      <Flex justify="space-between" wrap gap={8}>
        <Space>
          <Button
            icon={<CopyOutlined />}
            onClick={async () => {
              await navigator.clipboard?.writeText(text);
              message.success(t('actions.copied'));
            }}
          >
            {t('totp.copyAll')}
          </Button>
          <Button
            icon={<DownloadOutlined />}
            onClick={() => downloadText('qingyun-recovery-codes.txt', text)}
          >
            {t('totp.downloadTxt')}
          </Button>
        </Space>
        <Button type="primary" onClick={onSaved}>
          {t('totp.savedButton')}
        </Button>
      </Flex>
    </div>
  );
}
