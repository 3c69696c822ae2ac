import type { App } from 'antd';
import { api } from '../api.ts';
import i18n from '../i18n.ts';
import { errorText } from '../shell/errors.ts';
import type { MerchantOrder } from './types.ts';

type AppApi = ReturnType<typeof App.useApp>;

const path = (orderNo: string, action: 'close' | 'sync') =>
  `/api/merchant/orders/${encodeURIComponent(orderNo)}/${action}`;

/** 关闭订单, after a confirmation; resolves with the order as it is now, or null when not done. */
export function confirmClose(
  { modal, message }: Pick<AppApi, 'modal' | 'message'>,
  orderNo: string,
  texts: { title?: string; content?: string } = {},
): Promise<MerchantOrder | null> {
  const t = i18n.t.bind(i18n);
  return new Promise((resolve) => {
    modal.confirm({
      title: texts.title ?? t('merchant:orders.closeConfirmTitle'),
      content: texts.content ?? t('merchant:orders.closeConfirmBody'),
      okText: t('merchant:orders.close'),
      okButtonProps: { danger: true },
      cancelText: t('actions.cancel'),
      onOk: async () => {
        try {
          const order = await api.post<MerchantOrder>(path(orderNo, 'close'));
          message.success(
            order?.state && order.state !== 'closed'
              ? t('merchant:orders.synced', { state: t(`glossary:orderState.${order.state}`) })
              : t('merchant:orders.closed'),
          );
          resolve(order);
        } catch (e) {
          message.error(errorText(e));
          resolve(null);
        }
      },
      onCancel: () => resolve(null),
    });
  });
}

/** 同步状态: asks the channel now ("I paid but it still says in progress"). */
export async function syncOrder(
  { message }: Pick<AppApi, 'message'>,
  orderNo: string,
): Promise<MerchantOrder | null> {
  const t = i18n.t.bind(i18n);
  try {
    const order = await api.post<MerchantOrder>(path(orderNo, 'sync'));
    message.success(t('merchant:orders.synced', { state: t(`glossary:orderState.${order.state}`) }));
    return order;
  } catch (e) {
    message.error(errorText(e));
    return null;
  }
}
