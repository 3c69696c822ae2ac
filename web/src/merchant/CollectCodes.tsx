import {
  CopyOutlined,
  DownloadOutlined,
  EditOutlined,
  ExportOutlined,
  FilePdfOutlined,
  PlusOutlined,
  QrcodeOutlined,
} from '@ant-design/icons';
import {
  type ActionType,
  ModalForm,
  type ProColumns,
  ProFormCheckbox,
  ProFormSelect,
  ProFormText,
  ProTable,
} from '@ant-design/pro-components';
import {
  Alert,
  App,
  Button,
  Descriptions,
  Empty,
  Flex,
  Form,
  Grid,
  Input,
  Modal,
  Segmented,
  Space,
  Tag,
  Tooltip,
  Typography,
} from 'antd';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api.ts';
import { downloadFromApi } from '../shell/download.ts';
import { errorText } from '../shell/errors.ts';
import { RowAction, remembered } from '../shell/listTable.tsx';
import { Page } from '../shell/Page.tsx';
import { PrivateUrlWarning } from '../shell/PrivateUrlWarning.tsx';
import { openableRow } from '../shell/rowClick.ts';
import { useSession } from '../shell/session.tsx';
import { TwoLineCell } from '../shell/TwoLineCell.tsx';
import { useTablePageLoader } from '../shell/tablePage.ts';
import { useApi } from '../shell/useApi.ts';
import {
  asList,
  type CashierUser,
  type CollectCode,
  type List,
  type MerchantAppInfo,
  type Product,
} from './types.ts';
import { useSubtitle } from './useSubtitle.ts';

type StateFilter = 'all' | 'enabled' | 'disabled';

interface CodeForm {
  name: string;
  cashierUserId?: string | null;
  productCodes: string[];
  appId?: string;
}

const codePath = (code: CollectCode) => `/api/merchant/collect-codes/${encodeURIComponent(code.id)}`;

/**
 * 收款码 (MP-6, PAY-8 static QR): the store manager opens a fixed QR per counter or cashier, edits,
 * enables and disables it; everyone prints the codes they may see (PNG or an A5/A6 poster). The
 * payer scans it, types the amount on `/pay/{code}` and pays; the order belongs to the code's cashier.
 */
export function CollectCodes() {
  const { t } = useTranslation();
  const app = App.useApp();
  const loadPage = useTablePageLoader();
  const { session } = useSession();
  const manager = session?.user.merchantRole === 'manager';
  const screens = Grid.useBreakpoint();
  // On a phone the name cell carries the cashier and the state; the create button sits in the header.
  const compact = !screens.md;
  const actionRef = useRef<ActionType>(null);
  const [search, setSearch] = useState('');
  const [stateFilter, setStateFilter] = useState<StateFilter>('all');
  const [preview, setPreview] = useState<CollectCode | null>(null);
  const [editing, setEditing] = useState<CollectCode | 'new' | null>(null);
  const reload = () => actionRef.current?.reload();

  const setEnabled = (code: CollectCode, enabled: boolean) => {
    app.modal.confirm({
      title: t(enabled ? 'merchant:collectCodes.enable' : 'merchant:collectCodes.disable'),
      content: t(enabled ? 'merchant:collectCodes.enableConfirm' : 'merchant:collectCodes.disableConfirm', {
        name: code.name,
      }),
      okText: t(enabled ? 'merchant:collectCodes.enable' : 'merchant:collectCodes.disable'),
      okButtonProps: { danger: !enabled },
      cancelText: t('actions.cancel'),
      onOk: async () => {
        try {
          const updated = await api.patch<CollectCode>(codePath(code), { enabled });
          app.message.success(
            t(enabled ? 'merchant:collectCodes.enabledDone' : 'merchant:collectCodes.disabledDone'),
          );
          if (preview?.id === updated.id) setPreview(updated);
          reload();
        } catch (e) {
          app.message.error(errorText(e));
        }
      },
    });
  };

  const columns: ProColumns<CollectCode>[] = [
    {
      title: t('merchant:collectCodes.name'),
      dataIndex: 'name',
      render: (_, row) => (
        <div style={{ minWidth: 0 }}>
          <TwoLineCell
            secondary={row.code}
            time={row.createdAt}
            timeTip={t('merchant:collectCodes.createdAt')}
          >
            <RowAction icon={<QrcodeOutlined />} onClick={() => setPreview(row)} style={{ fontWeight: 600 }}>
              {row.name}
            </RowAction>
          </TwoLineCell>
          {compact && (
            <Space size={4} wrap style={{ marginTop: 4 }}>
              <StateTag code={row} />
              <CashierLabel code={row} />
            </Space>
          )}
        </div>
      ),
    },
    {
      title: t('merchant:collectCodes.cashier'),
      dataIndex: 'cashier',
      responsive: ['md'],
      render: (_, row) => <CashierLabel code={row} />,
    },
    {
      title: t('merchant:collectCodes.methods'),
      dataIndex: 'products',
      responsive: ['lg'],
      render: (_, row) => <Methods code={row} />,
    },
    {
      title: t('merchant:collectCodes.state'),
      dataIndex: 'enabled',
      responsive: ['md'],
      render: (_, row) => <StateTag code={row} />,
    },
    {
      title: t('merchant:collectCodes.actions'),
      key: 'actions',
      valueType: 'option',
      width: compact ? undefined : manager ? 200 : 100,
      render: (_, row) => [
        <RowAction key="show" onClick={() => setPreview(row)} data-testid={`collect-code-show-${row.id}`}>
          {t('merchant:collectCodes.show')}
        </RowAction>,
        ...(manager
          ? [
              <RowAction key="edit" icon={<EditOutlined />} onClick={() => setEditing(row)}>
                {t('merchant:collectCodes.edit')}
              </RowAction>,
              row.enabled ? (
                <RowAction key="disable" danger onClick={() => setEnabled(row, false)}>
                  {t('merchant:collectCodes.disable')}
                </RowAction>
              ) : (
                <RowAction key="enable" onClick={() => setEnabled(row, true)}>
                  {t('merchant:collectCodes.enable')}
                </RowAction>
              ),
            ]
          : []),
      ],
    },
  ];

  const subTitle = useSubtitle(
    t(manager ? 'merchant:collectCodes.subtitleManager' : 'merchant:collectCodes.subtitleCashier'),
  );
  const createButton = (
    <Button
      key="create"
      type="primary"
      icon={<PlusOutlined />}
      onClick={() => setEditing('new')}
      data-testid="collect-code-create"
    >
      {t('merchant:collectCodes.create')}
    </Button>
  );
  return (
    <Page
      title={t('merchant:collectCodes.title')}
      subTitle={subTitle}
      extra={manager && compact ? createButton : undefined}
    >
      <div data-testid="collect-code-table">
        <ProTable<CollectCode>
          rowKey="id"
          actionRef={actionRef}
          columns={columns}
          search={false}
          options={{ density: false, reload: true, setting: true, fullScreen: false }}
          columnsState={remembered('merchant.collectCodes')}
          onRow={(row) => openableRow(() => setPreview(row))}
          pagination={{ defaultPageSize: 20, showSizeChanger: true }}
          locale={{
            emptyText: (
              <Empty
                image={Empty.PRESENTED_IMAGE_SIMPLE}
                description={t(
                  manager ? 'merchant:collectCodes.emptyManager' : 'merchant:collectCodes.emptyCashier',
                )}
              />
            ),
          }}
          // A new search or filter reloads from the first page.
          params={{ q: search.trim(), state: stateFilter }}
          request={(query) =>
            loadPage<CollectCode>(
              '/api/merchant/collect-codes',
              { q: query.q, enabled: query.state === 'all' ? undefined : query.state === 'enabled' },
              query,
            )
          }
          toolBarRender={() => [
            <Input.Search
              key="search"
              allowClear
              placeholder={t('merchant:collectCodes.search')}
              aria-label={t('merchant:collectCodes.search')}
              onSearch={(value) => setSearch(value)}
              style={{ width: compact ? 150 : 220 }}
              data-testid="collect-code-search"
            />,
            <Segmented<StateFilter>
              key="filter"
              size={compact ? 'small' : 'middle'}
              value={stateFilter}
              onChange={setStateFilter}
              data-testid="collect-code-filter"
              options={[
                { value: 'all', label: t('merchant:collectCodes.filterAll') },
                { value: 'enabled', label: t('merchant:collectCodes.filterEnabled') },
                { value: 'disabled', label: t('merchant:collectCodes.filterDisabled') },
              ]}
            />,
            ...(manager && !compact ? [createButton] : []),
          ]}
        />
      </div>
      {manager && (
        <CodeFormModal
          editing={editing}
          onClose={() => setEditing(null)}
          onSaved={(code, created) => {
            setEditing(null);
            reload();
            // A new code is for printing: show it at once.
            if (created || preview?.id === code.id) setPreview(code);
          }}
        />
      )}
      <PreviewModal code={preview} onClose={() => setPreview(null)} />
    </Page>
  );
}

function CashierLabel({ code }: { code: CollectCode }) {
  const { t } = useTranslation();
  if (!code.cashier)
    return <Typography.Text type="secondary">{t('merchant:collectCodes.noCashier')}</Typography.Text>;
  return (
    <Space size={4} wrap>
      <span>{code.cashier.displayName || code.cashier.username}</span>
      {code.cashier.displayName && (
        <Typography.Text type="secondary" className="qy-mono" style={{ fontSize: 12 }}>
          {code.cashier.username}
        </Typography.Text>
      )}
      {!code.cashier.enabled && <Tag>{t('merchant:collectCodes.cashierDisabled')}</Tag>}
    </Space>
  );
}

function Methods({ code }: { code: CollectCode }) {
  const { t } = useTranslation();
  return (
    <Space size={[4, 4]} wrap>
      {code.products.map((p) =>
        p.available ? (
          <Tag key={p.productCode} color="blue" style={{ marginInlineEnd: 0 }}>
            {p.productName}
          </Tag>
        ) : (
          <Tooltip key={p.productCode} title={t('merchant:collectCodes.methodUnavailable')}>
            <Tag style={{ marginInlineEnd: 0, textDecoration: 'line-through' }}>{p.productName}</Tag>
          </Tooltip>
        ),
      )}
    </Space>
  );
}

function StateTag({ code }: { code: CollectCode }) {
  const { t } = useTranslation();
  return code.enabled ? (
    <Tag color="success" data-state="enabled">
      {t('merchant:collectCodes.enabled')}
    </Tag>
  ) : (
    <Tag data-state="disabled">{t('merchant:collectCodes.disabled')}</Tag>
  );
}

/** Create (`editing === 'new'`) or edit a code: name, cashier, methods, and the app when there are several. */
function CodeFormModal({
  editing,
  onClose,
  onSaved,
}: {
  editing: CollectCode | 'new' | null;
  onClose: () => void;
  onSaved: (code: CollectCode, created: boolean) => void;
}) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<CodeForm>();
  const open = editing !== null;
  const existing = editing === 'new' ? null : editing;
  const products = useApi<List<Product> | Product[]>(open ? '/api/merchant/products' : null);
  const cashiers = useApi<List<CashierUser>>(open ? '/api/merchant/cashiers?limit=200' : null);
  const apps = useApi<List<MerchantAppInfo> | MerchantAppInfo[]>(open ? '/api/merchant/apps' : null);
  const productList = useMemo(() => asList(products.data).items, [products.data]);
  const cashierList = useMemo(() => asList(cashiers.data).items, [cashiers.data]);
  const appList = useMemo(() => asList(apps.data).items, [apps.data]);
  const enabledApps = useMemo(() => appList.filter((a) => a.state === 'enabled'), [appList]);

  // The methods offered: the merchant's open products, and any the code still names (shown as such).
  const productOptions = [
    ...productList.map((p) => ({ label: p.productName, value: p.productCode })),
    ...(existing?.products ?? [])
      .filter((p) => !productList.some((o) => o.productCode === p.productCode))
      .map((p) => ({
        label: `${p.productName} (${t('merchant:collectCodes.methodUnavailableShort')})`,
        value: p.productCode,
      })),
  ];
  const cashierOptions = [
    ...cashierList
      .filter((c) => c.enabled || c.id === existing?.cashier?.id)
      .map((c) => ({
        label: c.displayName ? `${c.displayName} (${c.username})` : c.username,
        value: c.id,
      })),
  ];

  useEffect(() => {
    if (!open) return;
    if (existing) {
      form.setFieldsValue({
        name: existing.name,
        cashierUserId: existing.cashier?.id ?? null,
        productCodes: existing.products.map((p) => p.productCode),
        appId: existing.appId,
      });
    } else {
      form.resetFields();
    }
  }, [open, existing, form]);

  // A new code offers every open method by default, on the first enabled app.
  useEffect(() => {
    if (!open || existing) return;
    if (productList.length > 0 && !form.getFieldValue('productCodes')?.length) {
      form.setFieldValue(
        'productCodes',
        productList.map((p) => p.productCode),
      );
    }
    if (enabledApps[0] && !form.getFieldValue('appId')) form.setFieldValue('appId', enabledApps[0].appId);
  }, [open, existing, productList, enabledApps, form]);

  return (
    <ModalForm<CodeForm>
      title={
        existing
          ? `${t('merchant:collectCodes.editTitle')} · ${existing.name}`
          : t('merchant:collectCodes.create')
      }
      form={form}
      open={open}
      width={520}
      modalProps={{ destroyOnHidden: true, onCancel: onClose }}
      onOpenChange={(visible) => {
        if (!visible) onClose();
      }}
      onFinish={async (values) => {
        const body = {
          name: values.name.trim(),
          cashierUserId: values.cashierUserId || null,
          productCodes: values.productCodes,
          ...(values.appId && (!existing || values.appId !== existing.appId) ? { appId: values.appId } : {}),
        };
        try {
          const saved = existing
            ? await api.patch<CollectCode>(codePath(existing), body)
            : await api.post<CollectCode>('/api/merchant/collect-codes', body);
          message.success(t(existing ? 'merchant:collectCodes.saved' : 'merchant:collectCodes.created'));
          onSaved(saved, !existing);
          return true;
        } catch (e) {
          message.error(errorText(e));
          return false;
        }
      }}
    >
      <div data-testid="collect-code-form">
        {products.data && productList.length === 0 && (
          <Alert
            type="warning"
            showIcon
            message={t('merchant:collectCodes.noProducts')}
            style={{ marginBottom: 16 }}
          />
        )}
        <ProFormText
          name="name"
          label={t('merchant:collectCodes.name')}
          placeholder={t('merchant:collectCodes.namePlaceholder')}
          extra={t('merchant:collectCodes.nameHelp')}
          fieldProps={{ maxLength: 64, autoComplete: 'off' }}
          rules={[{ required: true, whitespace: true, message: t('merchant:collectCodes.nameRequired') }]}
        />
        <ProFormSelect
          name="cashierUserId"
          label={t('merchant:collectCodes.cashier')}
          placeholder={t('merchant:collectCodes.cashierPlaceholder')}
          extra={t('merchant:collectCodes.cashierHelp')}
          options={cashierOptions}
          fieldProps={{
            allowClear: true,
            loading: cashiers.loading,
            showSearch: true,
            optionFilterProp: 'label',
          }}
        />
        <ProFormCheckbox.Group
          name="productCodes"
          label={t('merchant:collectCodes.methods')}
          extra={t('merchant:collectCodes.methodsHelp')}
          options={productOptions}
          rules={[
            { required: true, type: 'array', min: 1, message: t('merchant:collectCodes.methodsRequired') },
          ]}
        />
        {(appList.length > 1 || (existing && !enabledApps.some((a) => a.appId === existing.appId))) && (
          <ProFormSelect
            name="appId"
            label={t('merchant:collectCodes.app')}
            extra={t('merchant:collectCodes.appHelp')}
            options={appList.map((a) => ({
              label: `${a.name} (${a.appId})`,
              value: a.appId,
              disabled: a.state !== 'enabled',
            }))}
            rules={[{ required: true, message: t('merchant:collectCodes.appRequired') }]}
          />
        )}
      </div>
    </ModalForm>
  );
}

/** The code as it will be printed: the QR, its link, downloads of the PNG and the posters. */
function PreviewModal({ code, onClose }: { code: CollectCode | null; onClose: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [busy, setBusy] = useState<string | null>(null);
  const download = async (kind: 'png' | 'A5' | 'A6') => {
    if (!code) return;
    setBusy(kind);
    try {
      if (kind === 'png') {
        await downloadFromApi(`${codePath(code)}/qr.png?width=1024&download=1`, `${fileStem(code)}.png`);
      } else {
        await downloadFromApi(`${codePath(code)}/poster.pdf?size=${kind}`, `${fileStem(code)}-${kind}.pdf`);
      }
    } catch (e) {
      message.error(errorText(e));
    } finally {
      setBusy(null);
    }
  };
  const copy = async () => {
    if (!code) return;
    try {
      await navigator.clipboard.writeText(code.url);
      message.success(t('merchant:collectCodes.linkCopied'));
    } catch {
      message.error(t('errors:title'));
    }
  };
  return (
    <Modal
      open={code !== null}
      title={code ? t('merchant:collectCodes.previewTitle', { name: code.name }) : ''}
      onCancel={onClose}
      footer={null}
      width={520}
      destroyOnHidden
    >
      {code && (
        <div data-testid="collect-code-preview" data-code={code.code}>
          <PrivateUrlWarning url={code.url} show={code.privateUrl} />
          {!code.enabled && (
            <Alert
              type="warning"
              showIcon
              message={t('merchant:collectCodes.disabledWarning')}
              style={{ marginBottom: 16 }}
            />
          )}
          <Flex vertical align="center" gap={8}>
            <img
              src={`${codePath(code)}/qr.png?width=480`}
              alt={t('merchant:collectCodes.qrAlt', { name: code.name })}
              width={240}
              height={240}
              data-testid="collect-code-qr"
              style={{ border: '1px solid #f0f0f0', borderRadius: 8, opacity: code.enabled ? 1 : 0.4 }}
            />
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {t('merchant:collectCodes.scanHint')}
            </Typography.Text>
          </Flex>
          <Descriptions
            column={1}
            size="small"
            bordered
            style={{ marginTop: 16 }}
            styles={{ label: { width: 96, whiteSpace: 'nowrap' } }}
          >
            <Descriptions.Item label={t('merchant:collectCodes.cashier')}>
              <CashierLabel code={code} />
            </Descriptions.Item>
            <Descriptions.Item label={t('merchant:collectCodes.methods')}>
              <Methods code={code} />
            </Descriptions.Item>
            <Descriptions.Item label={t('merchant:collectCodes.link')}>
              <Typography.Text
                className="qy-mono"
                style={{ fontSize: 12, wordBreak: 'break-all' }}
                data-testid="collect-code-url"
              >
                {code.url}
              </Typography.Text>
            </Descriptions.Item>
          </Descriptions>
          <Flex wrap gap={8} style={{ marginTop: 16 }}>
            <Button icon={<CopyOutlined />} onClick={copy} data-testid="collect-code-copy">
              {t('merchant:collectCodes.copyLink')}
            </Button>
            <Button
              icon={<ExportOutlined />}
              href={code.url}
              target="_blank"
              rel="noopener noreferrer"
              data-testid="collect-code-open"
            >
              {t('merchant:collectCodes.openPage')}
            </Button>
            <Button
              icon={<DownloadOutlined />}
              loading={busy === 'png'}
              onClick={() => download('png')}
              data-testid="collect-code-download-png"
            >
              {t('merchant:collectCodes.downloadPng')}
            </Button>
            {(['A5', 'A6'] as const).map((size) => (
              <Button
                key={size}
                type={size === 'A5' ? 'primary' : 'default'}
                icon={<FilePdfOutlined />}
                loading={busy === size}
                onClick={() => download(size)}
                data-testid={`collect-code-download-poster-${size.toLowerCase()}`}
              >
                {t('merchant:collectCodes.downloadPoster', { size })}
              </Button>
            ))}
          </Flex>
          <Typography.Paragraph type="secondary" style={{ fontSize: 12, marginTop: 8, marginBottom: 0 }}>
            {t('merchant:collectCodes.posterHelp')}
          </Typography.Paragraph>
        </div>
      )}
    </Modal>
  );
}

/** File names in the code's own characters (a name may hold anything). */
const fileStem = (code: CollectCode) => `qingyun-collect-${code.code}`;
