import { Alert } from 'antd';
import type { CSSProperties } from 'react';
import { describeError } from './errors.ts';

/** An error from the API as an Alert: the translated title, the server's message under it. */
export function ErrorAlert({ error, style }: { error: unknown; style?: CSSProperties }) {
  if (!error) return null;
  const { code, title, detail } = describeError(error);
  return (
    <Alert
      type="error"
      showIcon
      role="alert"
      data-error-code={code}
      message={title}
      description={detail}
      style={{ marginBottom: 16, ...style }}
    />
  );
}
