import { ProTable } from '@ant-design/pro-components';
import { Typography } from 'antd';
import { useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { remembered, widthOf } from '../../shell/listTable.tsx';
import { Page } from '../../shell/Page.tsx';
import { useRefundColumns } from '../../shell/refundColumns.tsx';
import type { RefundView } from '../../shell/refunds.tsx';
import { openableRow } from '../../shell/rowClick.ts';
import { type ExportParams, ServerExportButton } from '../../shell/ServerExportButton.tsx';
import { fetchTablePage } from '../../shell/tablePage.ts';
import { useRequestError } from '../../shell/useRequestError.ts';
import { searchMerchants } from '../components.tsx';

/** 退款管理: every refund, searched by any of its numbers; a row opens its order's detail. */
export function RefundsPage() {
  const { t } = useTranslation(['operator', 'common']);
  /** The list's current filters, which its export takes. */
  const filters = useRef<ExportParams>({});
  const onRequestError = useRequestError();
  const navigate = useNavigate();
  const openOrder = (orderNo: string) => navigate(`/operator/orders?order=${encodeURIComponent(orderNo)}`);

  const columns = useRefundColumns({
    openOrder,
    orderLine: (r) => (
      <Typography.Text ellipsis={{ tooltip: r.merchant?.mchNo }} style={{ fontSize: 12, maxWidth: 190 }}>
        {r.merchant?.name || r.merchant?.mchNo}
      </Typography.Text>
    ),
    searchOnly: [
      {
        title: t('common:refund.merchant'),
        dataIndex: 'mchNo',
        valueType: 'select',
        fieldProps: { showSearch: true, filterOption: false },
        debounceTime: 300,
        request: async ({ keyWords }) => searchMerchants(keyWords),
      },
    ],
  });

  return (
    <Page title={t('refunds.title')} subTitle={t('refunds.subtitle')}>
      <div data-testid="refund-table">
        <ProTable<RefundView>
          rowKey="refundNo"
          columns={columns}
          cardBordered
          scroll={{ x: widthOf(columns) }}
          columnsState={remembered('operator.refunds')}
          // The number search's rule (the last 4+ digits) is checked in the form.
          form={{ ignoreRules: false }}
          size="middle"
          dateFormatter="string"
          search={{
            labelWidth: 'auto',
            defaultCollapsed: false,
            span: { xs: 24, sm: 12, md: 8, lg: 8, xl: 6, xxl: 6 },
          }}
          pagination={{ defaultPageSize: 20, showSizeChanger: true, pageSizeOptions: [20, 50, 100, 200] }}
          options={{ density: true, setting: true, reload: true, fullScreen: true }}
          onRow={(r) => openableRow(() => openOrder(r.orderNo))}
          onRequestError={onRequestError}
          request={(p) => {
            filters.current = { q: p.q?.trim(), state: p.state, mchNo: p.mchNo, from: p.from, to: p.to };
            return fetchTablePage<RefundView>('/api/admin/refunds', { ...filters.current }, p);
          }}
          toolBarRender={() => [
            <ServerExportButton
              key="export"
              path={'/api/admin/refunds/export'}
              params={() => filters.current}
              testId="refunds-export"
            />,
          ]}
        />
      </div>
    </Page>
  );
}
