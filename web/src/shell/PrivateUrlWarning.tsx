import { Alert } from 'antd';
import { useTranslation } from 'react-i18next';

/**
 * Before a QR is printed or shown: its address is a loopback or private one (the server says so,
 * from its public URL setting), so a customer's phone cannot open it. Nothing otherwise.
 */
export function PrivateUrlWarning({ url, show }: { url: string; show: boolean | undefined }) {
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
      style={{ marginBottom: 16, textAlign: 'left' }}
      data-testid="private-url-warning"
      message={t('common.privateUrl', { host })}
      description={t('common.privateUrlHint')}
    />
  );
}
