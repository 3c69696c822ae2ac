import { ProFormText } from '@ant-design/pro-components';
import { Col, Row } from 'antd';
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import { percentFromPpm, yuan, yuanPlain } from '../shell/format.ts';
import { feeRule } from '../shell/forms.ts';

// The fixed part and minimum of a fee, on products, merchant rates and
// channel account costs: typed in yuan, shown beside the rate.

/** "0.6%", "0.6% + ¥0.05/笔", "0.6%，最低 ¥0.10". */
export function feeTermsText(
  t: TFunction,
  terms: { ratePpm: number | null | undefined; fixed?: number | null; minimum?: number | null },
  currency = 'CNY',
): string {
  let text = percentFromPpm(terms.ratePpm);
  if (terms.fixed) text += ` + ${t('operator:fees.perOrder', { fixed: yuan(terms.fixed, currency) })}`;
  if (terms.minimum) text += `，${t('operator:fees.minimumOf', { minimum: yuan(terms.minimum, currency) })}`;
  return text;
}

/** Minor units → the yuan an input shows; none (0) is an empty input. */
export const feePartPlain = (minor: number | null | undefined) => (minor ? yuanPlain(minor) : '');

/**
 * The two fields side by side (stacked on a phone): `fixedName` and `minimumName` hold yuan as typed.
 * `cost` labels them as a channel's cost rather than a merchant's fee.
 */
export function FeePartFields({
  fixedName,
  minimumName,
  cost = false,
}: {
  fixedName: string | string[];
  minimumName: string | string[];
  cost?: boolean;
}) {
  const { t } = useTranslation(['operator', 'common']);
  return (
    <Row gutter={12}>
      <Col xs={24} sm={12}>
        <ProFormText
          name={fixedName}
          label={t(cost ? 'fees.fixedCost' : 'fees.fixed')}
          tooltip={cost ? t('fees.costHint') : t('fees.fixedHint')}
          placeholder="0.00"
          fieldProps={{ prefix: '¥', inputMode: 'decimal' }}
          rules={[feeRule()]}
        />
      </Col>
      <Col xs={24} sm={12}>
        <ProFormText
          name={minimumName}
          label={t(cost ? 'fees.minimumCost' : 'fees.minimum')}
          tooltip={cost ? t('fees.costHint') : t('fees.minimumHint')}
          placeholder="0.00"
          fieldProps={{ prefix: '¥', inputMode: 'decimal' }}
          rules={[feeRule()]}
        />
      </Col>
    </Row>
  );
}
