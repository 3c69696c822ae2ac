import { Card, Steps, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { useApi } from '../../shell/useApi.ts';
import type { MerchantDetail, Product } from '../types.ts';

type Step = 'products' | 'apps' | 'routing';

/**
 * A new merchant's next steps on its page (开通产品 → 新建应用 → 通道路由), each with where it is
 * done and a check once it is, shown until all three are: a product open, an app created, and a
 * channel bound to every open product. Worked out from the merchant and the product list.
 */
export function MerchantNextSteps({
  merchant,
  onOpenTab,
}: {
  merchant: MerchantDetail;
  onOpenTab: (tab: 'products' | 'apps') => void;
}) {
  const { t } = useTranslation('operator');
  const products = useApi<Product[]>('/api/admin/products');
  if (!products.data) return null;
  const bound = new Map(products.data.map((p) => [p.code, p.channelBound !== false]));
  const open = merchant.products.filter((p) => p.enabled);
  const unbound = open.filter((p) => bound.get(p.productCode) === false);
  const done: Record<Step, boolean> = {
    products: open.length > 0,
    apps: merchant.apps.length > 0,
    routing: open.length > 0 && unbound.length === 0,
  };
  if (done.products && done.apps && done.routing) return null;
  const order: Step[] = ['products', 'apps', 'routing'];
  const current = order.findIndex((s) => !done[s]);
  const routingLink = `/operator/routing${unbound[0] ? `?product=${encodeURIComponent(unbound[0].productCode)}` : ''}`;
  const action = (step: Step) => {
    if (done[step]) return <Typography.Text type="success">{t('merchantDetail.stepDone')}</Typography.Text>;
    if (step === 'routing')
      return (
        <Link to={routingLink} data-testid="next-step-routing-link">
          {t('merchantDetail.stepGo')}
        </Link>
      );
    return (
      <Typography.Link onClick={() => onOpenTab(step)} data-testid={`next-step-${step}-link`}>
        {t('merchantDetail.stepGo')}
      </Typography.Link>
    );
  };
  return (
    <Card
      size="small"
      title={t('merchantDetail.nextSteps')}
      style={{ marginBottom: 16 }}
      data-testid="merchant-next-steps"
    >
      <Steps
        current={current}
        responsive
        items={order.map((step) => ({
          status: done[step] ? 'finish' : step === order[current] ? 'process' : 'wait',
          title: (
            <span data-testid={`next-step-${step}`} data-done={done[step]}>
              {t(`merchantDetail.step.${step}`)}
            </span>
          ),
          description: (
            <>
              <div>
                {step === 'routing' && unbound.length > 0
                  ? t('merchantDetail.stepHint.routingUnbound', {
                      products: unbound.map((p) => p.productName).join('、'),
                    })
                  : t(`merchantDetail.stepHint.${step}`)}
              </div>
              {action(step)}
            </>
          ),
        }))}
      />
    </Card>
  );
}
