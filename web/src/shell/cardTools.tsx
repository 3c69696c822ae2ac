import { Grid } from 'antd';
import type { ReactNode } from 'react';

/**
 * A card's tools (a range picker, an export button): in its header where there is room, else at
 * the top of its body, so a phone keeps the card's title on one line.
 */
export function useCardTools(tools: ReactNode): { extra?: ReactNode; top: ReactNode; wide: boolean } {
  const wide = !!Grid.useBreakpoint().md;
  return wide
    ? { extra: <div className="qy-card-tools">{tools}</div>, top: null, wide }
    : { top: <div className="qy-card-tools qy-card-tools-body">{tools}</div>, wide };
}
