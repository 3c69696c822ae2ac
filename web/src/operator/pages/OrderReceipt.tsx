import { PrinterOutlined } from '@ant-design/icons';
import { Button } from 'antd';
import { createPortal } from 'react-dom';
import { useTranslation } from 'react-i18next';
import { dateTime, yuan } from '../../shell/format.ts';
import { refundedOf } from '../../shell/refunds.tsx';
import type { OrderDetail } from '../types.ts';
import './receipt.css';

/**
 * 打印回单: prints the order's receipt. The receipt sits at the end of the page while the order is
 * open, hidden on screen; the print stylesheet (receipt.css) hides everything else, so the printed
 * page is the receipt alone, in the console's language, amounts in yuan and times in local time.
 */
export function PrintReceiptButton({ order }: { order: OrderDetail }) {
  const { t } = useTranslation('operator');
  return (
    <>
      <Button icon={<PrinterOutlined />} onClick={() => window.print()} data-testid="print-receipt">
        {t('orderTools.receipt.print')}
      </Button>
      {createPortal(
        <div className="qy-receipt-root">
          <OrderReceipt order={order} />
        </div>,
        document.body,
      )}
    </>
  );
}

export function OrderReceipt({ order }: { order: OrderDetail }) {
  const { t } = useTranslation(['operator', 'glossary']);
  const w = (key: string) => t(`orderTools.receipt.${key}`);
  const refunded = refundedOf(order);
  const rows: [string, string][] = [
    [w('merchant'), order.merchantName || order.mchNo],
    [w('mchNo'), order.mchNo],
    [w('orderNo'), order.orderNo],
    [w('mchOrderNo'), order.mchOrderNo],
    [w('channelOrderNo'), order.channelOrderNo ?? '-'],
    [w('product'), order.productName ?? order.productCode],
    [w('subject'), order.subject],
    [w('state'), t(`glossary:orderState.${order.state}`)],
    [w('createdAt'), dateTime(order.createdAt)],
    [w('paidAt'), order.paidAt ? dateTime(order.paidAt) : '-'],
    ...(refunded > 0 ? ([[w('refunded'), yuan(refunded, order.currency)]] as [string, string][]) : []),
    [w('printedAt'), dateTime(new Date().toISOString())],
  ];
  return (
    <section className="qy-receipt" data-testid="order-receipt">
      <h1>{w('title')}</h1>
      <div className="qy-receipt-platform">{w('platform')}</div>
      <div className="qy-receipt-amount">{yuan(order.amount, order.currency)}</div>
      <table>
        <tbody>
          {rows.map(([label, value]) => (
            <tr key={label}>
              <th scope="row">{label}</th>
              <td>{value}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="qy-receipt-note">{w('note')}</p>
    </section>
  );
}
