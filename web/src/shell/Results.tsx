import { Button, Result } from 'antd';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';

export function NotFound({ home = '/' }: { home?: string }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  return (
    <Result
      status="404"
      title={<h1 className="qy-page-title">{t('notFound.title')}</h1>}
      subTitle={t('notFound.subTitle')}
      extra={
        <Button type="primary" onClick={() => navigate(home)}>
          {t('actions.backHome')}
        </Button>
      }
    />
  );
}

export function Forbidden({ home = '/' }: { home?: string }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  return (
    <Result
      status="403"
      title={<h1 className="qy-page-title">{t('forbidden.title')}</h1>}
      subTitle={t('forbidden.subTitle')}
      extra={
        <Button type="primary" onClick={() => navigate(home)}>
          {t('actions.backHome')}
        </Button>
      }
    />
  );
}
