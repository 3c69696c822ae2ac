import { Alert, Typography } from 'antd';
import type { CSSProperties } from 'react';
import { useTranslation } from 'react-i18next';
import { describeError, type ErrorInfo, orderFailureText } from './errors.ts';

/**
 * An error from the API as an Alert: the sentence in the console's language (and its translated
 * parameters), then a collapsed 技术详情 with the error code, the server's own message and the
 * request id to quote to support.
 */
export function ErrorAlert({ error, style }: { error: unknown; style?: CSSProperties }) {
  if (!error) return null;
  const info = describeError(error);
  return (
    <Alert
      type="error"
      showIcon
      role="alert"
      data-error-code={info.code}
      message={info.title}
      description={
        <>
          {info.detail && <div>{info.detail}</div>}
          <TechnicalDetails code={info.code} technical={info.technical} />
        </>
      }
      style={{ marginBottom: 16, ...style }}
    />
  );
}

/**
 * The collapsed 技术详情 / Technical details of an error or a failure: what support and developers
 * need (code, raw message, request id), never the sentence itself. Pages showing a failure the
 * server recorded (an order's, a notify attempt's) use it too.
 */
export function TechnicalDetails({ code, technical }: { code: string; technical: ErrorInfo['technical'] }) {
  const { t } = useTranslation('errors');
  return (
    <details className="qy-error-technical" style={{ marginTop: 4, fontSize: 12 }}>
      <summary style={{ cursor: 'pointer', color: 'rgba(0, 0, 0, 0.65)' }}>{t('technical.title')}</summary>
      <dl style={{ margin: '4px 0 0', display: 'grid', gridTemplateColumns: 'auto 1fr', gap: '2px 12px' }}>
        <dt>{t('technical.code')}</dt>
        <dd style={{ margin: 0 }} className="qy-mono">
          {code}
          {technical.status ? ` (${t('technical.status')} ${technical.status})` : ''}
        </dd>
        {technical.message && (
          <>
            <dt>{t('technical.message')}</dt>
            <dd style={{ margin: 0, wordBreak: 'break-word' }} className="qy-mono" lang="en">
              {technical.message}
            </dd>
          </>
        )}
        {technical.requestId && (
          <>
            <dt>{t('technical.requestId')}</dt>
            <dd style={{ margin: 0 }}>
              <Typography.Text copyable className="qy-mono" style={{ fontSize: 12 }}>
                {technical.requestId}
              </Typography.Text>
            </dd>
          </>
        )}
      </dl>
      {technical.requestId && (
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {t('technical.hint')}
        </Typography.Text>
      )}
    </details>
  );
}

/**
 * A failure the server recorded on an order (`failure: { code, message, reason }`): the reason's
 * sentence under `title`, the channel's code and raw message in the collapsed technical details.
 */
export function FailureAlert({
  title,
  failure,
  style,
}: {
  title: string;
  failure: { code: string; message?: string | null; reason?: string | null };
  style?: CSSProperties;
}) {
  return (
    <Alert
      type="error"
      showIcon
      data-failure-reason={failure.reason ?? undefined}
      message={title}
      description={
        <>
          <div>{orderFailureText(failure)}</div>
          <TechnicalDetails code={failure.code} technical={{ message: failure.message ?? undefined }} />
        </>
      }
      style={{ marginBottom: 16, ...style }}
    />
  );
}
