import type { HTMLAttributes, KeyboardEvent, MouseEvent } from 'react';

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

/** Enter or Space on the focused row itself (not on a link or button inside it): open the row. */
export function isRowOpenKey(event: KeyboardEvent<HTMLElement>): boolean {
  return event.target === event.currentTarget && (event.key === 'Enter' || event.key === ' ');
}

/**
 * What a ProTable's `onRow` gives a row that opens something (a detail, its order): a click outside
 * the row's own controls, or Enter / Space when the row has the keyboard focus (Tab reaches every
 * row; the focus ring is `.qy-row-clickable:focus-visible` in global.css). `label` names the row for
 * screen readers ("订单 P…").
 */
export function openableRow(open: () => void, label?: string): HTMLAttributes<HTMLElement> {
  return {
    tabIndex: 0,
    className: 'qy-row-clickable',
    'aria-label': label,
    onClick: (event) => {
      if (isRowOpenClick(event)) open();
    },
    onKeyDown: (event) => {
      if (!isRowOpenKey(event)) return;
      event.preventDefault();
      open();
    },
  };
}
