import { Space, Tooltip, Typography } from 'antd';
import type { ReactNode } from 'react';

/**
 * A list cell of two lines: the main value (copyable text or a link, as the caller renders it) over
 * a second number in small grey monospace, e.g. the platform's order number over the merchant's.
 */
export function TwoLineCell({
  children,
  secondary,
  secondaryTip,
}: {
  children: ReactNode;
  secondary?: ReactNode;
  /** Says what the second line is, on hover. */
  secondaryTip?: string;
}) {
  const second = secondary ? (
    <Typography.Text type="secondary" className="qy-mono" style={{ fontSize: 12 }}>
      {secondary}
    </Typography.Text>
  ) : null;
  return (
    <Space direction="vertical" size={0}>
      {children}
      {second && secondaryTip ? <Tooltip title={secondaryTip}>{second}</Tooltip> : second}
    </Space>
  );
}
