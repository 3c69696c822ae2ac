import {
  CheckCircleOutlined,
  ClockCircleOutlined,
  CloseCircleOutlined,
  MinusCircleOutlined,
  RollbackOutlined,
  SyncOutlined,
} from '@ant-design/icons';
import { Tag } from 'antd';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { OrderState } from './types.ts';

const LOOK: Record<OrderState, { color: string; icon: ReactNode }> = {
  created: { color: 'default', icon: <ClockCircleOutlined /> },
  paying: { color: 'processing', icon: <SyncOutlined spin /> },
  paid: { color: 'success', icon: <CheckCircleOutlined /> },
  failed: { color: 'error', icon: <CloseCircleOutlined /> },
  closed: { color: 'default', icon: <MinusCircleOutlined /> },
  partially_refunded: { color: 'warning', icon: <RollbackOutlined /> },
  refunded: { color: 'warning', icon: <RollbackOutlined /> },
};

/** An order's state as a coloured tag; `data-state` carries the API word for tests. */
export function OrderStateTag({ state }: { state: OrderState }) {
  const { t } = useTranslation();
  const look = LOOK[state] ?? LOOK.created;
  return (
    <Tag color={look.color} icon={look.icon} data-state={state} style={{ marginInlineEnd: 0 }}>
      {t(`glossary:orderState.${state}`, { defaultValue: state })}
    </Tag>
  );
}
