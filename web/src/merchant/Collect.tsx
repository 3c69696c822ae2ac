import {
  ExportOutlined,
  LoadingOutlined,
  PlusOutlined,
  QrcodeOutlined,
  ScanOutlined,
  StopOutlined,
  SyncOutlined,
} from '@ant-design/icons';
import {
  Alert,
  App,
  Button,
  Card,
  Flex,
  Form,
  Input,
  type InputRef,
  QRCode,
  Radio,
  Result,
  Segmented,
  Select,
  Skeleton,
  Space,
  Tooltip,
  Typography,
} from 'antd';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { ApiError, api } from '../api.ts';
import { ErrorAlert, TechnicalDetails } from '../shell/ErrorAlert.tsx';
import { errorText, orderFailureText } from '../shell/errors.ts';
import { parseYuan, percentFromPpm, yuan } from '../shell/format.ts';
import { amountProblem } from '../shell/forms.ts';
import { Page } from '../shell/Page.tsx';
import { PrivateUrlWarning } from '../shell/PrivateUrlWarning.tsx';
import { useApi, useInterval } from '../shell/useApi.ts';
import { OrderStateTag } from './OrderStateTag.tsx';
import { confirmClose, syncOrder } from './orderActions.ts';
import {
  asList,
  type CollectAnswer,
  isOpenState,
  isPaidState,
  type List,
  type MerchantOrder,
  type Product,
} from './types.ts';
import { useSubtitle } from './useSubtitle.ts';

const POLL_MS = 2_000;
const PRODUCT_KEY = 'qy.collect.product';
const MODE_KEY = 'qy.collect.mode';
/** A pay code on the customer's phone (付款码): 18 digits at Alipay and WeChat Pay. */
const AUTH_CODE = /^\d{10,32}$/;

/** Show a QR for the customer to scan (C扫B), or scan the customer's pay code (B扫C). */
type CollectMode = 'qr' | 'scan';
/** Radio buttons read better than a dropdown on a counter's tablet, up to this many products. */
const RADIO_PRODUCTS = 4;

interface CollectForm {
  productCode: string;
  amount: string;
  subject?: string;
  authCode?: string;
}

/**
 * 收款 (PAY-8, MP-6): amount → QR for the customer → the state live until paid (C扫B); or amount →
 * scan the customer's pay code with the scanner → paid at once, or after the customer confirms (B扫C).
 */
export function Collect() {
  const { t } = useTranslation();
  const [collection, setCollection] = useState<CollectAnswer | null>(null);
  const subTitle = useSubtitle(t('merchant:collect.subtitle'));
  return (
    <Page title={t('merchant:collect.title')} subTitle={subTitle}>
      <Flex justify="center">
        <div style={{ width: '100%', maxWidth: 480 }}>
          {collection ? (
            <Collection answer={collection} onNew={() => setCollection(null)} />
          ) : (
            <CollectFormCard onCreated={setCollection} />
          )}
        </div>
      </Flex>
    </Page>
  );
}

function CollectFormCard({ onCreated }: { onCreated: (answer: CollectAnswer) => void }) {
  const { t } = useTranslation();
  const [form] = Form.useForm<CollectForm>();
  const [error, setError] = useState<unknown>(null);
  const [submitting, setSubmitting] = useState(false);
  const [mode, setMode] = useState<CollectMode>(() =>
    localStorage.getItem(MODE_KEY) === 'scan' ? 'scan' : 'qr',
  );
  // This collection's key: sent again on a retry after a lost answer, so the same order comes back
  // (a scanned code must never be charged twice). A new key after an answer the server gave.
  const requestId = useRef(newRequestId());
  const inFlight = useRef(false);
  const authCodeInput = useRef<InputRef>(null);
  const products = useApi<List<Product> | Product[]>('/api/merchant/products');
  const list = useMemo(() => asList(products.data).items, [products.data]);
  const productCode = Form.useWatch('productCode', form);
  const product = list.find((p) => p.productCode === productCode);

  // The last product used, or the only one: a cashier rarely switches.
  useEffect(() => {
    if (list.length === 0 || form.getFieldValue('productCode')) return;
    const saved = localStorage.getItem(PRODUCT_KEY);
    const usable = list.filter((p) => p.channelBound !== false);
    const initial = usable.find((p) => p.productCode === saved) ?? usable[0];
    if (initial) form.setFieldValue('productCode', initial.productCode);
  }, [list, form]);

  // A product with no channel bound takes no orders (the server refuses them): shown, not chosen.
  const productLabel = (p: Product) =>
    p.channelBound === false
      ? `${p.productName}（${t('merchant:collect.productUnavailable')}）`
      : p.productName;

  const submit = async (values: CollectForm) => {
    const amount = parseYuan(values.amount);
    // A scanner's Enter can arrive while the first submit is still waiting.
    if (amount === null || inFlight.current) return;
    inFlight.current = true;
    setSubmitting(true);
    setError(null);
    try {
      const subject = values.subject?.trim();
      const authCode = mode === 'scan' ? values.authCode?.trim() : undefined;
      const answer = await api.post<CollectAnswer>('/api/merchant/collect', {
        productCode: values.productCode,
        amount,
        // Left blank: one word in the screen's language, not the server's two-language fallback.
        subject: subject || t('merchant:collect.defaultSubject'),
        ...(authCode ? { authCode } : {}),
        requestId: requestId.current,
      });
      requestId.current = newRequestId();
      localStorage.setItem(PRODUCT_KEY, values.productCode);
      onCreated(answer);
    } catch (e) {
      setError(e);
      if (e instanceof ApiError && e.status < 500) {
        // The server refused it and created nothing: the next attempt is a new collection, and a
        // scanned code needs a fresh scan. After a lost answer the key stays, so 再试 is safe.
        requestId.current = newRequestId();
        if (mode === 'scan') form.setFieldValue('authCode', '');
      }
    } finally {
      inFlight.current = false;
      setSubmitting(false);
    }
  };

  if (products.loading && !products.data) {
    return (
      <Card>
        <Skeleton active paragraph={{ rows: 6 }} />
      </Card>
    );
  }
  if (products.error) return <ErrorAlert error={products.error} />;
  if (list.length === 0) return <Alert type="warning" showIcon message={t('merchant:collect.noProducts')} />;

  const range = product
    ? { min: yuan(product.minAmount, product.currency), max: yuan(product.maxAmount, product.currency) }
    : null;

  return (
    <Card data-testid="collect-form">
      <Segmented<CollectMode>
        block
        size="large"
        value={mode}
        onChange={(next) => {
          setMode(next);
          localStorage.setItem(MODE_KEY, next);
          setError(null);
        }}
        options={[
          { value: 'qr', label: t('merchant:collect.modeQr'), icon: <QrcodeOutlined /> },
          { value: 'scan', label: t('merchant:collect.modeScan'), icon: <ScanOutlined /> },
        ]}
        style={{ marginBottom: 16 }}
        data-testid="collect-mode"
      />
      <ErrorAlert error={error} />
      <Form<CollectForm> form={form} layout="vertical" requiredMark={false} onFinish={submit} size="large">
        <Form.Item
          name="productCode"
          label={t('merchant:collect.product')}
          rules={[{ required: true, message: t('merchant:collect.productRequired') }]}
        >
          {list.length <= RADIO_PRODUCTS ? (
            <Radio.Group
              // antd passes role through; aria-required (a required field) is allowed on a radiogroup.
              {...{ role: 'radiogroup' }}
              buttonStyle="solid"
              style={{ display: 'flex', flexWrap: 'wrap', gap: 8 }}
            >
              {list.map((p) => (
                <Radio.Button
                  key={p.productCode}
                  value={p.productCode}
                  disabled={p.channelBound === false}
                  style={{ borderRadius: 6 }}
                >
                  {productLabel(p)}
                </Radio.Button>
              ))}
            </Radio.Group>
          ) : (
            <Select
              placeholder={t('merchant:collect.productPlaceholder')}
              options={list.map((p) => ({
                value: p.productCode,
                label: productLabel(p),
                disabled: p.channelBound === false,
              }))}
              showSearch
              optionFilterProp="label"
            />
          )}
        </Form.Item>
        <Form.Item
          name="amount"
          label={t('merchant:collect.amount')}
          extra={
            product && range
              ? t('merchant:collect.amountHelp', { ...range, rate: percentFromPpm(product.ratePpm) })
              : undefined
          }
          dependencies={['productCode']}
          rules={[
            {
              required: true,
              validator: async (_rule, value: string | undefined) => {
                if (!value?.trim()) throw new Error(t('merchant:collect.amountRequired'));
                const problem = amountProblem(value);
                if (problem) throw new Error(problem);
                const minor = parseYuan(value) ?? 0;
                if (product && range && (minor < product.minAmount || minor > product.maxAmount)) {
                  throw new Error(t('merchant:collect.amountRange', range));
                }
              },
            },
          ]}
        >
          <Input
            prefix={<span style={{ fontSize: 24, color: 'rgba(0,0,0,0.6)' }}>¥</span>}
            placeholder={t('merchant:collect.amountPlaceholder')}
            inputMode="decimal"
            autoComplete="off"
            autoFocus
            maxLength={16}
            // Scan mode: Enter after the amount goes on to the pay code, where the scanner types.
            onPressEnter={(e) => {
              if (mode !== 'scan') return;
              e.preventDefault();
              authCodeInput.current?.focus();
            }}
            style={{ fontSize: 28, fontWeight: 600 }}
            data-testid="collect-amount"
          />
        </Form.Item>
        <Form.Item name="subject" label={t('merchant:collect.subject')}>
          <Input placeholder={t('merchant:collect.subjectPlaceholder')} maxLength={128} />
        </Form.Item>
        {mode === 'scan' && (
          <Form.Item
            name="authCode"
            label={t('merchant:collect.authCode')}
            extra={t('merchant:collect.authCodeHelp')}
            rules={[
              { required: true, message: t('merchant:collect.authCodeRequired') },
              { pattern: AUTH_CODE, message: t('merchant:collect.authCodeInvalid') },
            ]}
          >
            {/* A barcode scanner types the digits and presses Enter, which submits the form. */}
            <Input
              ref={authCodeInput}
              prefix={<ScanOutlined />}
              placeholder={t('merchant:collect.authCodePlaceholder')}
              inputMode="numeric"
              autoComplete="off"
              maxLength={32}
              data-testid="collect-auth-code"
            />
          </Form.Item>
        )}
        <Button
          type="primary"
          htmlType="submit"
          block
          size="large"
          icon={mode === 'scan' ? <ScanOutlined /> : <QrcodeOutlined />}
          loading={submitting}
          data-testid="collect-submit"
        >
          {t(mode === 'scan' ? 'merchant:collect.submitScan' : 'merchant:collect.submit')}
        </Button>
      </Form>
    </Card>
  );
}

/** One collection: the QR while open, then the outcome; the state is polled every 2 s. */
function Collection({ answer, onNew }: { answer: CollectAnswer; onNew: () => void }) {
  const { t } = useTranslation();
  const app = App.useApp();
  const navigate = useNavigate();
  const [order, setOrder] = useState<MerchantOrder>(answer.order);
  const [pollError, setPollError] = useState(false);
  const [syncing, setSyncing] = useState(false);
  const open = isOpenState(order.state);
  const now = useNow(open);
  const left = Math.max(0, Math.floor((new Date(order.expiresAt).getTime() - now) / 1000));
  const payData = answer.payData ?? order.payData ?? null;

  useInterval(
    async () => {
      try {
        const next = await api.get<MerchantOrder>(
          `/api/merchant/orders/${encodeURIComponent(order.orderNo)}`,
        );
        setOrder((current) => ({ ...current, ...next }));
        setPollError(false);
      } catch {
        setPollError(true);
      }
    },
    POLL_MS,
    open,
  );

  const newButton = (primary: boolean) => (
    <Button
      key="new"
      type={primary ? 'primary' : 'default'}
      size="large"
      icon={<PlusOutlined />}
      onClick={onNew}
      data-testid="collect-new"
    >
      {t('merchant:collect.newCollection')}
    </Button>
  );
  const viewButton = (
    <Button key="view" size="large" onClick={() => navigate(`/merchant/orders?order=${order.orderNo}`)}>
      {t('merchant:collect.viewOrder')}
    </Button>
  );

  if (isPaidState(order.state)) {
    return (
      <Card data-testid="collect-result" data-state={order.state}>
        <Result
          status="success"
          title={t('merchant:collect.paidTitle')}
          subTitle={
            <>
              <div style={{ fontSize: 32, fontWeight: 600, color: '#00a870', margin: '8px 0' }}>
                {yuan(order.amount, order.currency)}
              </div>
              <Typography.Text type="secondary" className="qy-mono">
                {t('merchant:collect.orderNo')} {order.orderNo}
              </Typography.Text>
            </>
          }
          extra={[newButton(true), viewButton]}
        />
      </Card>
    );
  }

  if (!open) {
    const failed = order.state === 'failed';
    return (
      <Card data-testid="collect-result" data-state={order.state}>
        <Result
          status={failed ? 'error' : 'warning'}
          title={t(failed ? 'merchant:collect.failedTitle' : 'merchant:collect.closedTitle')}
          subTitle={
            <>
              <div style={{ fontSize: 24, fontWeight: 600, margin: '8px 0', color: 'rgba(0,0,0,0.65)' }}>
                {yuan(order.amount, order.currency)}
              </div>
              <div>{t(failed ? 'merchant:collect.failedSub' : 'merchant:collect.closedSub')}</div>
              {failed && order.failure && (
                <>
                  <Typography.Text
                    type="secondary"
                    style={{ fontSize: 12 }}
                    data-failure-reason={order.failure.reason}
                  >
                    {orderFailureText(order.failure)}
                  </Typography.Text>
                  <TechnicalDetails
                    code={order.failure.code}
                    technical={{ message: order.failure.message }}
                  />
                </>
              )}
            </>
          }
          extra={[newButton(true), viewButton]}
        />
      </Card>
    );
  }

  if (answer.order.extra?.authCode) {
    return (
      <AwaitingConfirmation
        order={order}
        pollError={pollError}
        onChanged={(next) => setOrder((current) => ({ ...current, ...next }))}
      />
    );
  }

  const expired = left === 0;
  return (
    <Card data-testid="collect-result" data-state={order.state} styles={{ body: { textAlign: 'center' } }}>
      <Typography.Text type="secondary">{t('merchant:collect.scanToPay')}</Typography.Text>
      <div style={{ fontSize: 36, fontWeight: 700, margin: '4px 0 12px' }} data-testid="collect-amount-shown">
        {yuan(order.amount, order.currency)}
      </div>
      {order.subject && (
        <Typography.Paragraph type="secondary" style={{ marginTop: -8 }}>
          {order.subject}
        </Typography.Paragraph>
      )}
      <PrivateUrlWarning url={answer.cashierUrl} show={answer.privateUrl} compact />
      <Flex justify="center" data-testid="collect-qr">
        {payData?.value && payData.type !== 'none' ? (
          <QRCode
            // A form cannot be scanned: the QR opens the cashier page, whose button posts it.
            value={payData.type === 'form' ? answer.cashierUrl : payData.value}
            size={260}
            errorLevel="M"
            status={expired ? 'expired' : 'active'}
            onRefresh={onNew}
            bordered
          />
        ) : (
          <Alert type="warning" showIcon message={t('merchant:collect.noPayData')} />
        )}
      </Flex>
      <Space direction="vertical" size={4} style={{ marginTop: 16 }}>
        <Space size={8}>
          <OrderStateTag state={order.state} />
          <Typography.Text strong>{t('merchant:collect.waiting')}</Typography.Text>
        </Space>
        <Typography.Text type={expired ? 'danger' : 'secondary'} data-testid="collect-countdown">
          {expired ? t('merchant:collect.expired') : `${t('merchant:collect.expiresIn')} ${clock(left)}`}
        </Typography.Text>
        <Typography.Text type={pollError ? 'warning' : 'secondary'} style={{ fontSize: 12 }}>
          {pollError ? t('merchant:collect.pollError') : t('merchant:collect.lastPolled')}
        </Typography.Text>
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {t('merchant:collect.orderNo')}{' '}
          <Typography.Text copyable className="qy-mono" style={{ fontSize: 12 }}>
            {order.orderNo}
          </Typography.Text>
        </Typography.Text>
      </Space>
      <Flex wrap gap={8} justify="center" style={{ marginTop: 20 }}>
        {newButton(false)}
        <Button
          size="large"
          icon={<ExportOutlined />}
          href={answer.cashierUrl}
          target="_blank"
          rel="noopener noreferrer"
          data-testid="collect-cashier-link"
        >
          {t('merchant:orders.openCashier')}
        </Button>
      </Flex>
      <Flex wrap gap={8} justify="center" style={{ marginTop: 8 }}>
        <Tooltip title={t('merchant:orders.syncTip')}>
          <Button
            type="link"
            icon={<SyncOutlined />}
            loading={syncing}
            onClick={async () => {
              setSyncing(true);
              const next = await syncOrder(app, order.orderNo);
              setSyncing(false);
              if (next) setOrder((current) => ({ ...current, ...next }));
            }}
          >
            {t('merchant:orders.sync')}
          </Button>
        </Tooltip>
        <Button
          type="link"
          danger
          icon={<StopOutlined />}
          onClick={async () => {
            const next = await confirmClose(app, order.orderNo, {
              content: t('merchant:collect.cancelConfirm'),
            });
            if (next) setOrder((current) => ({ ...current, ...next }));
          }}
        >
          {t('merchant:collect.cancel')}
        </Button>
      </Flex>
    </Card>
  );
}

/** A scanned pay code the customer must confirm on the phone: wait, or cancel (撤销) the payment. */
function AwaitingConfirmation({
  order,
  pollError,
  onChanged,
}: {
  order: MerchantOrder;
  pollError: boolean;
  onChanged: (order: MerchantOrder) => void;
}) {
  const { t } = useTranslation();
  const { modal, message } = App.useApp();
  // Unconfirmed by then, the platform cancels the payment at the channel by itself.
  const now = useNow(true);
  const left = Math.max(0, Math.floor((new Date(order.expiresAt).getTime() - now) / 1000));
  const cancel = () =>
    modal.confirm({
      title: t('merchant:collect.cancelScanTitle'),
      content: t('merchant:collect.cancelScanBody'),
      okText: t('merchant:collect.cancelScan'),
      okButtonProps: { danger: true },
      cancelText: t('actions.cancel'),
      onOk: async () => {
        try {
          onChanged(
            await api.post<MerchantOrder>(`/api/merchant/orders/${encodeURIComponent(order.orderNo)}/cancel`),
          );
          message.success(t('merchant:collect.cancelledScan'));
        } catch (e) {
          message.error(errorText(e));
          // The customer may have confirmed meanwhile: show the order as it is now.
          onChanged(
            await api.get<MerchantOrder>(`/api/merchant/orders/${encodeURIComponent(order.orderNo)}`),
          );
        }
      },
    });
  return (
    <Card data-testid="collect-result" data-state={order.state} styles={{ body: { textAlign: 'center' } }}>
      <Result
        icon={<LoadingOutlined />}
        title={t('merchant:collect.awaitingConfirmation')}
        subTitle={
          <>
            <div style={{ fontSize: 32, fontWeight: 600, margin: '8px 0' }}>
              {yuan(order.amount, order.currency)}
            </div>
            <div>{t('merchant:collect.awaitingConfirmationSub')}</div>
            <div data-testid="collect-auto-cancel">
              {t('merchant:collect.autoCancelIn', { time: clock(left) })}
            </div>
            <Typography.Text type={pollError ? 'warning' : 'secondary'} style={{ fontSize: 12 }}>
              {pollError ? t('merchant:collect.pollError') : t('merchant:collect.lastPolled')}
            </Typography.Text>
          </>
        }
        extra={
          <Button
            danger
            size="large"
            icon={<StopOutlined />}
            onClick={cancel}
            data-testid="collect-cancel-scan"
          >
            {t('merchant:collect.cancelScan')}
          </Button>
        }
      />
    </Card>
  );
}

/** 32 hex digits; getRandomValues works on plain-http LAN addresses too, unlike randomUUID. */
function newRequestId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join(
    '',
  );
}

/** The current time, ticking every second while `active`. */
function useNow(active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    const id = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(id);
  }, [active]);
  return now;
}

function clock(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const mm = String(m).padStart(h ? 2 : 1, '0');
  return `${h ? `${h}:` : ''}${mm}:${String(s).padStart(2, '0')}`;
}
