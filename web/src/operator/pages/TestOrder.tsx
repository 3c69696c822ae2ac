import { ExportOutlined, ReloadOutlined, SendOutlined } from '@ant-design/icons';
import {
  ProCard,
  ProDescriptions,
  ProForm,
  ProFormDependency,
  ProFormSelect,
  ProFormSwitch,
  ProFormText,
} from '@ant-design/pro-components';
import { Alert, Button, Col, Empty, Form, QRCode, Row, Space, Tag, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { api } from '../../api.ts';
import { ErrorAlert, FailureAlert } from '../../shell/ErrorAlert.tsx';
import { dateTime, parseYuan, percentFromPpm, yuan } from '../../shell/format.ts';
import { amountRule } from '../../shell/forms.ts';
import { isOpenState } from '../../shell/orderStates.ts';
import { Page } from '../../shell/Page.tsx';
import { PrivateUrlWarning } from '../../shell/PrivateUrlWarning.tsx';
import { useCan } from '../../shell/session.tsx';
import { useInterval } from '../../shell/useApi.ts';
import { MerchantSelect, OrderStateTag } from '../components.tsx';
import type { Binding, MerchantDetail, OrderRow, Product, TestOrderResult } from '../types.ts';

const AUTO = '__auto__';
const POLL_MS = 3000;

interface TestValues {
  mchNo: string;
  appId?: string;
  productCode: string;
  channelAccountId: string;
  amount: string;
  subject?: string;
  test: boolean;
  authCode?: string;
  openid?: string;
}

/** 支付测试: place a test (or real) order for any merchant, product and channel account, and see it through. */
export function TestOrderPage() {
  const { t } = useTranslation(['operator', 'common']);
  const [form] = Form.useForm<TestValues>();
  const [merchant, setMerchant] = useState<MerchantDetail | null>(null);
  const [products, setProducts] = useState<Product[]>([]);
  const [bindings, setBindings] = useState<Binding[]>([]);
  const [result, setResult] = useState<TestOrderResult | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    api.get<Product[]>('/api/admin/products').then(setProducts, setError);
  }, []);

  const pickMerchant = async (mchNo: string | undefined) => {
    setMerchant(null);
    form.setFieldsValue({ appId: undefined, productCode: undefined, channelAccountId: AUTO });
    setBindings([]);
    if (!mchNo) return;
    try {
      setMerchant(await api.get<MerchantDetail>(`/api/admin/merchants/${encodeURIComponent(mchNo)}`));
    } catch (e) {
      setError(e);
    }
  };

  const pickProduct = async (code: string | undefined) => {
    form.setFieldValue('channelAccountId', AUTO);
    setBindings([]);
    if (!code) return;
    try {
      setBindings(await api.get<Binding[]>(`/api/admin/products/${encodeURIComponent(code)}/bindings`));
    } catch (e) {
      setError(e);
    }
  };

  // The merchant's opened products first (with its rate); the rest are listed but marked.
  const opened = new Map(
    (merchant?.products ?? []).filter((p) => p.enabled).map((p) => [p.productCode, p.ratePpm]),
  );
  const productOptions = products
    .filter((p) => p.enabled)
    .sort((a, b) => Number(opened.has(b.code)) - Number(opened.has(a.code)))
    .map((p) => ({
      value: p.code,
      label: opened.has(p.code)
        ? `${p.name}（${p.code} · ${t(`glossary:payWays.${p.payWay}`)}）· ${t('testOrder.merchantRate')} ${percentFromPpm(opened.get(p.code))}`
        : `${p.name}（${p.code} · ${t(`glossary:payWays.${p.payWay}`)}）· ${t('testOrder.notOpened')}`,
    }));

  return (
    <Page title={t('testOrder.title')} subTitle={t('testOrder.subtitle')}>
      <Row gutter={[16, 16]}>
        <Col xs={24} xl={10}>
          <ProCard title={t('testOrder.formTitle')} bordered headerBordered>
            <ProForm<TestValues>
              form={form}
              layout="vertical"
              initialValues={{
                channelAccountId: AUTO,
                amount: '0.01',
                subject: t('testOrder.defaultSubject'),
                test: true,
              }}
              submitter={{
                searchConfig: { submitText: t('testOrder.submit') },
                submitButtonProps: { icon: <SendOutlined /> },
                resetButtonProps: false,
              }}
              onFinish={async (v) => {
                setError(null);
                try {
                  const answer = await api.post<TestOrderResult>('/api/admin/test-orders', {
                    mchNo: v.mchNo,
                    appId: v.appId || undefined,
                    productCode: v.productCode,
                    amount: parseYuan(v.amount),
                    channelAccountId: v.channelAccountId === AUTO ? undefined : v.channelAccountId,
                    subject: v.subject?.trim() || undefined,
                    test: v.test,
                    authCode: v.authCode?.trim() || undefined,
                    openid: v.openid?.trim() || undefined,
                  });
                  setResult(answer);
                  return true;
                } catch (e) {
                  setError(e);
                  return false;
                }
              }}
            >
              <MerchantSelect
                name="mchNo"
                label={t('testOrder.merchant')}
                placeholder={t('testOrder.merchantPlaceholder')}
                rules={[{ required: true, message: t('testOrder.merchantRequired') }]}
                fieldProps={{ onChange: (v: unknown) => void pickMerchant(v as string | undefined) }}
              />
              <ProFormSelect
                name="appId"
                label={t('testOrder.app')}
                placeholder={t('testOrder.appDefault')}
                allowClear
                disabled={!merchant}
                options={(merchant?.apps ?? []).map((a) => ({
                  value: a.appId,
                  label: `${a.name}（${a.appId}）${a.state === 'enabled' ? '' : ` · ${t('common:common.disabled')}`}`,
                }))}
              />
              <ProFormSelect
                name="productCode"
                label={t('testOrder.product')}
                disabled={!merchant}
                options={productOptions}
                rules={[{ required: true, message: t('products.productRequired') }]}
                fieldProps={{ onChange: (v: unknown) => void pickProduct(v as string | undefined) }}
              />
              <ProFormDependency name={['productCode']}>
                {({ productCode }) =>
                  productCode && merchant && !opened.has(productCode) ? (
                    <Alert
                      type="warning"
                      showIcon
                      style={{ marginBottom: 16 }}
                      message={t('testOrder.notOpenedWarning')}
                    />
                  ) : null
                }
              </ProFormDependency>
              <ProFormSelect
                name="channelAccountId"
                label={t('testOrder.channel')}
                extra={t('testOrder.channelHint')}
                options={[
                  { value: AUTO, label: t('testOrder.auto') },
                  ...bindings.map((b) => ({
                    value: b.channelAccountId,
                    label: `${b.accountName}（#${b.channelAccountId} · ${b.adapterCode}）${
                      b.enabled && b.accountEnabled ? '' : ` · ${t('common:common.disabled')}`
                    }`,
                  })),
                ]}
              />
              <ProFormDependency name={['productCode']}>
                {({ productCode }) => {
                  const product = products.find((p) => p.code === productCode);
                  return (
                    <ProFormText
                      name="amount"
                      label={t('testOrder.amount')}
                      extra={
                        product
                          ? t('testOrder.amountRange', {
                              min: yuan(product.minAmount),
                              max: yuan(product.maxAmount),
                            })
                          : undefined
                      }
                      fieldProps={{ prefix: '¥', inputMode: 'decimal' }}
                      rules={[amountRule(true)]}
                    />
                  );
                }}
              </ProFormDependency>
              <ProFormText name="subject" label={t('testOrder.subject')} rules={[{ max: 128 }]} />
              <ProFormDependency name={['productCode']}>
                {({ productCode }) => {
                  // A pay-code way takes the customer's code and nothing else; WeChat JSAPI needs the payer's openid.
                  const way = products.find((p) => p.code === productCode)?.payWay;
                  const payCode = way === 'ALI_BAR' || way === 'WX_BAR';
                  return (
                    <>
                      {way === 'WX_JSAPI' && (
                        <ProFormText
                          name="openid"
                          label={t('testOrder.openid')}
                          extra={t('testOrder.openidHint')}
                          rules={[
                            { required: true, message: t('testOrder.openidRequired') },
                            { pattern: /^[\w-]{1,128}$/, message: t('testOrder.openidInvalid') },
                          ]}
                          fieldProps={{ maxLength: 128, autoComplete: 'off', spellCheck: false }}
                        />
                      )}
                      <ProFormText
                        name="authCode"
                        label={payCode ? t('testOrder.authCodeRequiredLabel') : t('testOrder.authCode')}
                        extra={t('testOrder.authCodeHint')}
                        rules={[
                          ...(payCode ? [{ required: true, message: t('testOrder.authCodeRequired') }] : []),
                          { pattern: /^\d{10,32}$/, message: t('testOrder.authCodeInvalid') },
                        ]}
                        fieldProps={{ inputMode: 'numeric', maxLength: 32, autoComplete: 'off' }}
                      />
                    </>
                  );
                }}
              </ProFormDependency>
              <ProFormSwitch name="test" label={t('testOrder.testSwitch')} extra={t('testOrder.testHint')} />
              <ProFormDependency name={['test']}>
                {({ test }) =>
                  test ? null : (
                    <Alert
                      type="error"
                      showIcon
                      style={{ marginBottom: 16 }}
                      message={t('testOrder.realWarning')}
                    />
                  )
                }
              </ProFormDependency>
            </ProForm>
          </ProCard>
        </Col>
        <Col xs={24} xl={14}>
          <ProCard title={t('testOrder.resultTitle')} bordered headerBordered>
            <ErrorAlert error={error} />
            {result ? (
              <TestResult result={result} />
            ) : (
              !error && <Empty description={t('testOrder.noResult')} />
            )}
          </ProCard>
        </Col>
      </Row>
    </Page>
  );
}

/** The placed order, its pay data as a QR and a link to the cashier; the state follows the order until it ends. */
function TestResult({ result }: { result: TestOrderResult }) {
  const { t } = useTranslation(['operator', 'common']);
  const navigate = useNavigate();
  const can = useCan();
  const [order, setOrder] = useState<OrderRow>(result.order);
  useEffect(() => setOrder(result.order), [result]);
  const open = isOpenState(order.state);
  useInterval(
    async () => {
      const fresh = await api.get<OrderRow>(`/api/admin/orders/${encodeURIComponent(order.orderNo)}`);
      setOrder((prev) => ({ ...prev, ...fresh }));
    },
    POLL_MS,
    open && can('order.read'),
  );
  const payData = result.payData ?? order.payData ?? null;
  const cashierUrl = result.cashierUrl || order.cashierUrl;
  const payUrl = payData && payData.type !== 'form' && payData.type !== 'none' ? payData.value : null;

  return (
    <div data-testid="test-order-result">
      {order.failure && <FailureAlert title={t('testOrder.failed')} failure={order.failure} />}
      <Row gutter={[24, 16]}>
        <Col xs={24} md={15}>
          <ProDescriptions column={1} size="small" bordered labelStyle={{ width: 120 }}>
            <ProDescriptions.Item label={t('orders.orderNo')}>
              <Typography.Text className="qy-mono" copyable>
                {order.orderNo}
              </Typography.Text>
            </ProDescriptions.Item>
            <ProDescriptions.Item label={t('orders.mchOrderNo')}>
              <span className="qy-mono">{order.mchOrderNo}</span>
            </ProDescriptions.Item>
            <ProDescriptions.Item label={t('orders.state')}>
              <Space>
                <OrderStateTag state={order.state} />
                {order.test && <Tag color="orange">{t('orders.testTag')}</Tag>}
                {open && (
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    <ReloadOutlined spin /> {t('testOrder.watching')}
                  </Typography.Text>
                )}
              </Space>
            </ProDescriptions.Item>
            <ProDescriptions.Item label={t('orders.channelAccount')}>
              {order.channelAccountName ?? (order.channelAccountId ? `#${order.channelAccountId}` : '-')}
            </ProDescriptions.Item>
            <ProDescriptions.Item label={t('orders.amount')}>
              <Typography.Text strong>{yuan(order.amount, order.currency)}</Typography.Text>
            </ProDescriptions.Item>
            <ProDescriptions.Item label={t('orders.fee')}>
              {yuan(order.fee, order.currency)}（{percentFromPpm(order.merchantRatePpm)}）
            </ProDescriptions.Item>
            <ProDescriptions.Item label={t('orders.channelCost')}>
              {yuan(order.channelCost, order.currency)}（{percentFromPpm(order.channelRatePpm)}）
            </ProDescriptions.Item>
            <ProDescriptions.Item label={t('orders.createdAt')}>
              {dateTime(order.createdAt)}
            </ProDescriptions.Item>
            <ProDescriptions.Item label={t('orders.expiresAt')}>
              {dateTime(order.expiresAt)}
            </ProDescriptions.Item>
            {payUrl && (
              <ProDescriptions.Item label={t('testOrder.payUrl')}>
                <Typography.Text
                  copyable
                  className="qy-mono"
                  style={{ fontSize: 12, wordBreak: 'break-all' }}
                >
                  {payUrl}
                </Typography.Text>
              </ProDescriptions.Item>
            )}
          </ProDescriptions>
        </Col>
        <Col xs={24} md={9} style={{ textAlign: 'center' }}>
          {payUrl ? (
            <Space direction="vertical" align="center">
              <PrivateUrlWarning url={cashierUrl} show={result.privateUrl} compact />
              <QRCode
                value={payUrl}
                size={200}
                status={open ? 'active' : order.state === 'paid' ? 'scanned' : 'expired'}
                bordered
              />
              <Typography.Text type="secondary">
                {t(`testOrder.payType.${payData?.type ?? 'qr'}`, { defaultValue: payData?.type })}
              </Typography.Text>
            </Space>
          ) : (
            <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('testOrder.noPayData')} />
          )}
        </Col>
      </Row>
      <Space wrap style={{ marginTop: 16 }}>
        <Button
          type="primary"
          icon={<ExportOutlined />}
          href={cashierUrl}
          target="_blank"
          rel="noopener noreferrer"
        >
          {t('testOrder.openCashier')}
        </Button>
        {payUrl && /^https?:\/\//.test(payUrl) && (
          <Button icon={<ExportOutlined />} href={payUrl} target="_blank" rel="noopener noreferrer">
            {t('testOrder.openPayUrl')}
          </Button>
        )}
        {can('order.read') && (
          <Button onClick={() => navigate(`/operator/orders?order=${encodeURIComponent(order.orderNo)}`)}>
            {t('testOrder.viewOrder')}
          </Button>
        )}
      </Space>
    </div>
  );
}
