import { ProFormDependency, ProFormText } from '@ant-design/pro-components';
import { parseYuan } from '../shell/format.ts';
import { amountRule } from '../shell/forms.ts';

/** A product's per-order amount range in yuan (minAmount, maxAmount), the maximum checked against the minimum. */
export function AmountRangeFields(props: { minLabel: string; maxLabel: string; maxBelowMin: string }) {
  return (
    <>
      <ProFormText
        name="minAmount"
        label={props.minLabel}
        fieldProps={{ prefix: '¥', inputMode: 'decimal' }}
        rules={[amountRule(true)]}
      />
      <ProFormDependency name={['minAmount']}>
        {({ minAmount }) => (
          <ProFormText
            name="maxAmount"
            label={props.maxLabel}
            fieldProps={{ prefix: '¥', inputMode: 'decimal' }}
            dependencies={['minAmount']}
            rules={[
              amountRule(true),
              {
                validator: async (_r, v: string) => {
                  const min = parseYuan(String(minAmount ?? ''));
                  const max = parseYuan(String(v ?? ''));
                  if (min !== null && max !== null && max < min) throw new Error(props.maxBelowMin);
                },
              },
            ]}
          />
        )}
      </ProFormDependency>
    </>
  );
}
