import { KeyOutlined } from '@ant-design/icons';
import { Alert, App, Button, type ButtonProps, Modal, Radio, Space, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api.ts';
import { errorText } from './errors.ts';
import { dateTime } from './format.ts';
import { useSecretDialog } from './SecretDialog.tsx';

/** How long the replaced secret still signs requests, in seconds: the choices both consoles offer. */
export const GRACE_CHOICES = [
  { seconds: 0, label: 'common.graceNow' },
  { seconds: 3_600, label: 'common.grace1h' },
  { seconds: 86_400, label: 'common.grace24h' },
  { seconds: 7 * 86_400, label: 'common.grace7d' },
] as const;
const DEFAULT_GRACE_SECONDS = 86_400;

/**
 * 重置密钥 for an app, in either console: asks how long the old secret keeps working (default a
 * day, "now" after a leak), rotates, then shows the new secret once with the merchant number and
 * AppID. `path` is the console's rotate-secret endpoint.
 */
export function RotateSecret({
  path,
  mchNo,
  appId,
  onRotated,
  buttonProps,
}: {
  path: string;
  mchNo: string;
  appId: string;
  onRotated?: () => void;
  buttonProps?: ButtonProps;
}) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const secretDialog = useSecretDialog();
  const [open, setOpen] = useState(false);
  const [grace, setGrace] = useState<number>(DEFAULT_GRACE_SECONDS);
  const [busy, setBusy] = useState(false);

  const rotate = async () => {
    setBusy(true);
    try {
      const answer = await api.post<{ secret: string; oldKeyExpiresAt: string | null }>(path, {
        graceSeconds: grace,
      });
      setOpen(false);
      secretDialog.show({
        title: t('common.rotatedTitle'),
        description: answer.oldKeyExpiresAt
          ? t('common.oldKeyExpires', { time: dateTime(answer.oldKeyExpiresAt) })
          : t('common.oldKeyRevoked'),
        rows: [
          { label: t('common.mchNo'), value: mchNo },
          { label: 'AppID', value: appId },
          { label: t('common.appSecret'), value: answer.secret, secret: true, testId: 'app-secret' },
        ],
      });
      onRotated?.();
    } catch (e) {
      message.error(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <Button
        icon={<KeyOutlined />}
        danger
        {...buttonProps}
        onClick={() => {
          setGrace(DEFAULT_GRACE_SECONDS);
          setOpen(true);
        }}
      >
        {t('common.rotate')}
      </Button>
      <Modal
        open={open}
        title={t('common.rotateTitle', { appId })}
        okText={t('common.rotate')}
        okButtonProps={{ danger: true, loading: busy, 'data-testid': 'rotate-confirm' } as ButtonProps}
        cancelText={t('actions.cancel')}
        onOk={rotate}
        onCancel={() => setOpen(false)}
        destroyOnHidden
      >
        <Typography.Paragraph>{t('common.rotateIntro')}</Typography.Paragraph>
        <Typography.Text strong id={`grace-${appId}`}>
          {t('common.rotateGrace')}
        </Typography.Text>
        <Radio.Group
          aria-labelledby={`grace-${appId}`}
          value={grace}
          onChange={(e) => setGrace(e.target.value as number)}
          style={{ display: 'block', marginTop: 8 }}
        >
          <Space direction="vertical">
            {GRACE_CHOICES.map((c) => (
              <Radio key={c.seconds} value={c.seconds}>
                {t(c.label)}
              </Radio>
            ))}
          </Space>
        </Radio.Group>
        <Alert
          style={{ marginTop: 16 }}
          showIcon
          type={grace === 0 ? 'error' : 'info'}
          message={grace === 0 ? t('common.graceNowHint') : t('common.graceHint')}
        />
      </Modal>
      {secretDialog.holder}
    </>
  );
}

/** "旧密钥将于 … 失效" under an app, while the secret a rotation replaced still signs requests. */
export function OldKeyNotice({ expiresAt }: { expiresAt: string | null | undefined }) {
  const { t } = useTranslation();
  if (!expiresAt || Date.parse(expiresAt) <= Date.now()) return null;
  return (
    // Gold 8 on white: the warning tone with AA contrast (the default warning yellow has too little).
    <Typography.Text style={{ color: '#ad6800' }} data-testid="old-key-expires">
      {t('common.oldKeyExpires', { time: dateTime(expiresAt) })}
    </Typography.Text>
  );
}
