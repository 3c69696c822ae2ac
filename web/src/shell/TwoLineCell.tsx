import { Space, Tooltip, Typography } from 'antd';
import type { ReactNode } from 'react';
import { dateTime } from './format.ts';

const small = { fontSize: 12 } as const;

/**
 * A list cell of two lines: the main value (copyable text or a link, as the caller renders it) over
 * a second number in small grey monospace, e.g. the platform's order number over the merchant's.
 * The identifying cell of a list also carries the row's time (`time`, local) as a third line, so the
 * number and when it happened stay together whatever columns are chosen.
 */
export function TwoLineCell({
  children,
  secondary,
  secondaryTip,
  secondaryMono = true,
  time,
  timeTip,
}: {
  children: ReactNode;
  secondary?: ReactNode;
  /** Says what the second line is, on hover. */
  secondaryTip?: string;
  /** The second line is a number (monospace, the default) rather than words. */
  secondaryMono?: boolean;
  /** An ISO time shown in the browser's local time under the numbers (the created time). */
  time?: string | null;
  /** Says what the time is, on hover. */
  timeTip?: string;
}) {
  const second = secondary ? (
    <Typography.Text type="secondary" className={secondaryMono ? 'qy-mono' : undefined} style={small}>
      {secondary}
    </Typography.Text>
  ) : null;
  const when = time ? (
    <Typography.Text type="secondary" style={small} data-cell="time">
      {dateTime(time)}
    </Typography.Text>
  ) : null;
  return (
    <Space direction="vertical" size={0}>
      {children}
      {second && secondaryTip ? <Tooltip title={secondaryTip}>{second}</Tooltip> : second}
      {when && timeTip ? <Tooltip title={timeTip}>{when}</Tooltip> : when}
    </Space>
  );
}
