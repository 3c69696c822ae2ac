import { Alert, Tooltip } from 'antd';
import { useTranslation } from 'react-i18next';

/**
 * Before a QR is printed or shown: its address is a loopback or private one (the server says so,
 * from its public URL setting), so a customer's phone cannot open it. Nothing otherwise.
 */
export function PrivateUrlWarning({
  url,
  show,
  compact,
}: {
  url: string;
  show: boolean | undefined;
  /** One line (the collect screen, where the QR must stay in view); the advice goes into a tooltip. */
  compact?: boolean;
}) {
  const { t } = useTranslation();
  if (!show) return null;
  let host = url;
  try {
    host = new URL(url).host;
  } catch {
    // Shown as given.
  }
  return (
    <Alert
      type="warning"
      showIcon
      style={{ marginBottom: compact ? 12 : 16, textAlign: 'left' }}
      data-testid="private-url-warning"
      message={
        compact ? (
          <Tooltip title={t('common.privateUrlHint')}>
            <span>{t('common.privateUrl', { host })}</span>
          </Tooltip>
        ) : (
          t('common.privateUrl', { host })
        )
      }
      description={compact ? undefined : t('common.privateUrlHint')}
    />
  );
}
