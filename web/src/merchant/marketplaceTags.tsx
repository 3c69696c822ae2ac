import { Select, type SelectProps, Tag, Typography } from 'antd';
import i18n from '../i18n.ts';
import type { EscrowState, MemberState, SplitEnd } from './marketplaceApi.ts';

/**
 * A marketplace word by its table and key (`merchant:marketplace.<table>.<key>`), the key itself
 * when there is none: a value the server added later shows as sent rather than as a missing string.
 */
export function marketWord(table: string, key: string | null | undefined): string {
  if (!key) return '-';
  const name = `merchant:marketplace.${table}.${key}`;
  return i18n.exists(name) ? i18n.t(name) : key;
}

/** A member's account entry kind: the marketplace's own words, else the glossary's entry types. */
export function entryWord(kind: string): string {
  const own = `merchant:marketplace.entryKind.${kind}`;
  if (i18n.exists(own)) return i18n.t(own);
  const shared = `glossary:entryType.${kind}`;
  return i18n.exists(shared) ? i18n.t(shared) : kind;
}

/** The name of a split's end: a member's own name; the merchant and the escrow account in words. */
export function splitEndName(end: SplitEnd): string {
  return end.kind === 'member' ? end.name : marketWord('splitRecords.end', end.kind);
}

const MEMBER_COLOR: Record<MemberState, string> = {
  created: 'default',
  verified: 'processing',
  active: 'success',
  frozen: 'warning',
  closed: 'default',
};

export function MemberStateTag({ state }: { state: MemberState }) {
  return (
    <Tag color={MEMBER_COLOR[state] ?? 'default'} data-state={state} style={{ marginInlineEnd: 0 }}>
      {marketWord('memberState', state)}
    </Tag>
  );
}

const ESCROW_COLOR: Record<EscrowState, string> = {
  holding: 'processing',
  partially_released: 'gold',
  released: 'success',
  refunded: 'default',
};

export function EscrowStateTag({ state }: { state: EscrowState }) {
  return (
    <Tag color={ESCROW_COLOR[state] ?? 'default'} data-state={state} style={{ marginInlineEnd: 0 }}>
      {marketWord('escrows.stateWord', state)}
    </Tag>
  );
}

/** One end of a split: the member's name over its number, or the merchant or its escrow account by kind. */
export function SplitEndCell({ end }: { end: SplitEnd }) {
  return (
    <span style={{ display: 'inline-flex', flexDirection: 'column' }}>
      <span>{splitEndName(end)}</span>
      {end.memberNo && (
        <Typography.Text type="secondary" className="qy-mono" style={{ fontSize: 12 }}>
          {end.memberNo}
        </Typography.Text>
      )}
    </span>
  );
}

/**
 * A Select inside a required Form.Item: the item gives its child aria-required, which antd's Select
 * puts on its outer box, where ARIA does not allow it (axe: aria-allowed-attr); the asterisk and
 * the rule's message still say the field is required.
 */
export function FieldSelect({
  'aria-required': _required,
  ...props
}: SelectProps & { 'aria-required'?: unknown }) {
  return <Select {...props} />;
}
