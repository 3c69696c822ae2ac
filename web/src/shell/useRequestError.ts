import { App } from 'antd';
import { useCallback } from 'react';
import { errorText, isSessionEnd } from './errors.ts';

/**
 * ProTable's `onRequestError`: without one it rethrows a failed load as an unhandled rejection.
 * Shows the error's sentence as a toast (once per text; the server's message stays out of it),
 * except a 401, which the shell already handles.
 */
export function useRequestError(): (error: Error) => void {
  const { message } = App.useApp();
  return useCallback(
    (error: Error) => {
      if (isSessionEnd(error)) return;
      const text = errorText(error);
      message.error({ content: text, key: text });
    },
    [message],
  );
}
