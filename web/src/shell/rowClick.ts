import type { MouseEvent } from 'react';

/**
 * A row click that should open the row: not one on a link, button or input inside the row, and not one
 * that bubbled through React from a portal (a dialog or pop-confirm opened from the row).
 */
export function isRowOpenClick(event: MouseEvent<HTMLElement>): boolean {
  const target = event.target as HTMLElement;
  if (!event.currentTarget.contains(target)) return false;
  return !target.closest(
    'a, button, input, textarea, select, label, [role="switch"], .ant-select, .ant-typography-copy, .ant-checkbox',
  );
}
