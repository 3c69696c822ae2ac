import { ProTable } from '@ant-design/pro-components';
import { Grid } from 'antd';
import { useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { remembered, widthOf } from '../shell/listTable.tsx';
import { Page } from '../shell/Page.tsx';
import { useRefundColumns } from '../shell/refundColumns.tsx';
import type { RefundView } from '../shell/refunds.tsx';
import { openableRow } from '../shell/rowClick.ts';
import { type ExportParams, ServerExportButton } from '../shell/ServerExportButton.tsx';
import { useTablePageLoader } from '../shell/tablePage.ts';
import { useSubtitle } from './useSubtitle.ts';

interface RefundQuery {
  q?: string;
  state?: string;
  from?: string;
  to?: string;
  current?: number;
  pageSize?: number;
}

/** 退款 (managers): the merchant's refunds by any number, state and day; a row opens its order. */
export function Refunds() {
  const { t } = useTranslation();
  /** The list's current filters, which its export takes. */
  const filters = useRef<ExportParams>({});
  const loadPage = useTablePageLoader();
  const navigate = useNavigate();
  const screens = Grid.useBreakpoint();
  const compact = !screens.md;
  const openOrder = (orderNo: string) => navigate(`/merchant/orders?order=${encodeURIComponent(orderNo)}`);

  const columns = useRefundColumns({ openOrder, compact, hideOnNarrow: true });

  const subTitle = useSubtitle(t('merchant:refunds.subtitle'));
  return (
    <Page title={t('merchant:refunds.title')} subTitle={subTitle}>
      <div data-testid="merchant-refund-table">
        <ProTable<RefundView, RefundQuery>
          rowKey="refundNo"
          columns={columns}
          request={(query) => {
            filters.current = { q: query.q?.trim(), state: query.state, from: query.from, to: query.to };
            return loadPage<RefundView>('/api/merchant/refunds', { ...filters.current }, query);
          }}
          toolBarRender={() => [
            <ServerExportButton
              key="export"
              path={'/api/merchant/refunds/export'}
              params={() => filters.current}
              testId="refunds-export"
            />,
          ]}
          pagination={{ defaultPageSize: 20, showSizeChanger: true, pageSizeOptions: [10, 20, 50, 100] }}
          search={{ labelWidth: 'auto', defaultCollapsed: compact }}
          // The number search's rule (the last 4+ digits) is checked in the form.
          form={{ syncToUrl: false, ignoreRules: false }}
          dateFormatter="string"
          options={{ density: false, reload: true, setting: true, fullScreen: false }}
          scroll={compact ? undefined : { x: widthOf(columns) }}
          columnsState={remembered('merchant.refunds')}
          size="middle"
          onRow={(r) => openableRow(() => openOrder(r.orderNo))}
        />
      </div>
    </Page>
  );
}
