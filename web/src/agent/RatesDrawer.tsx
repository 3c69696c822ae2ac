import { Drawer, Grid } from 'antd';
import { api } from '../api.ts';
import { RatesTable, type RateTerms, ratesByProduct } from '../shell/agents.tsx';
import { ErrorAlert } from '../shell/ErrorAlert.tsx';
import { useApi } from '../shell/useApi.ts';
import { productsOf } from './me.ts';

/** Whose rates a drawer sets: a sub-agent or a merchant of the subtree, and the rates of the level above it. */
export interface RatesTarget {
  kind: 'agent' | 'merchant';
  /** The agent number or merchant number. */
  no: string;
  name: string;
  /** The level above: its rates bound these from below and name the products that can be given. */
  above: RateTerms[] | undefined;
}

/**
 * 设置费率 of a sub-agent or a merchant: its rates per product, within the level above's (the
 * server checks the whole chain and refuses in words the errors namespace gives).
 */
export function RatesDrawer({ target, onClose }: { target: RatesTarget | null; onClose: () => void }) {
  const screens = Grid.useBreakpoint();
  const base = target
    ? target.kind === 'agent'
      ? `/api/agent/agents/${target.no}`
      : `/api/agent/merchants/${target.no}`
    : null;
  const rates = useApi<{ items: RateTerms[] }>(base && `${base}/rates`);
  return (
    <Drawer
      open={target !== null}
      onClose={onClose}
      width={screens.md ? 720 : '100%'}
      title={target?.name}
      destroyOnHidden
    >
      {target && (
        <>
          {rates.error ? <ErrorAlert error={rates.error} style={{ marginBottom: 16 }} /> : null}
          <RatesTable
            area="agent"
            who={target.name}
            rates={rates.data?.items}
            loading={rates.loading}
            products={productsOf(target.above)}
            floors={ratesByProduct(target.above)}
            withEnabled={target.kind === 'merchant'}
            testId="target-rates"
            onReload={rates.reload}
            onSave={async (productCode, terms) => {
              const path =
                target.kind === 'agent' ? `${base}/rates/${productCode}` : `${base}/products/${productCode}`;
              const { enabled, ...parts } = terms;
              await api.put(path, {
                ratePpm: parts.ratePpm,
                fixedFee: parts.fixedFee,
                minimumFee: parts.minimumFee,
                ...(target.kind === 'merchant' ? { enabled: enabled ?? true } : {}),
              });
              await rates.reload();
            }}
          />
        </>
      )}
    </Drawer>
  );
}
