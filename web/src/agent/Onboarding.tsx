import { EditOutlined, PlusOutlined, SendOutlined, UploadOutlined } from '@ant-design/icons';
import {
  type ActionType,
  DrawerForm,
  type ProColumns,
  ProFormDependency,
  ProFormGroup,
  ProFormList,
  ProFormRadio,
  ProFormSelect,
  ProFormText,
  ProTable,
} from '@ant-design/pro-components';
import { App, Button, Drawer, Flex, Grid, Space, Spin, Typography, Upload } from 'antd';
import { type ReactNode, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { api } from '../api.ts';
import { ErrorAlert } from '../shell/ErrorAlert.tsx';
import { errorText } from '../shell/errors.ts';
import { percentFromPpm, percentPlain, ppmFromPercent, yuanPlain } from '../shell/format.ts';
import { feePartOf, feeRule, percentRule } from '../shell/forms.ts';
import { remembered, widthOf } from '../shell/listTable.tsx';
import {
  type ApplicationDetail,
  ApplicationDetailView,
  type ApplicationRow,
  ApplicationStateTag,
  DOCUMENT_KINDS,
  type DocumentKind,
  EDITABLE_STATES,
  MAX_DOCUMENT_BYTES,
  useStateEnum,
} from '../shell/onboarding.tsx';
import { Page } from '../shell/Page.tsx';
import { openableRow } from '../shell/rowClick.ts';
import { TwoLineCell } from '../shell/TwoLineCell.tsx';
import { fetchTablePage } from '../shell/tablePage.ts';
import { useApi } from '../shell/useApi.ts';
import { useRequestError } from '../shell/useRequestError.ts';

const BASE = '/api/agent/onboarding/applications';
const pathOf = (no: string) => `${BASE}/${encodeURIComponent(no)}`;

interface AgentMe {
  agentNo: string;
  rates: {
    productCode: string;
    productName?: string;
    ratePpm: number;
    fixedFee: number;
    minimumFee: number;
  }[];
}

/** 商户进件: the agent's applications, a form to open or edit one, its documents and submission. */
export function AgentOnboardingPage() {
  const { t } = useTranslation(['agent', 'common']);
  const onRequestError = useRequestError();
  const actionRef = useRef<ActionType>(null);
  const [params, setParams] = useSearchParams();
  const open = params.get('application');
  const setOpen = (applicationNo: string | null) => {
    const copy = new URLSearchParams(params);
    if (applicationNo) copy.set('application', applicationNo);
    else copy.delete('application');
    setParams(copy, { replace: !applicationNo });
  };
  const stateEnum = useStateEnum();
  const reload = () => actionRef.current?.reload();

  const columns: ProColumns<ApplicationRow>[] = [
    { title: t('onboarding.search'), dataIndex: 'q', hideInTable: true },
    {
      title: t('glossary:onboarding.field.merchantName'),
      dataIndex: 'merchantName',
      search: false,
      width: 240,
      render: (_, r) => (
        <TwoLineCell secondary={r.applicationNo} time={r.createdAt} timeTip={t('onboarding.createdAt')}>
          <Typography.Text ellipsis={{ tooltip: r.merchantName }} style={{ maxWidth: 220 }}>
            {r.merchantName}
          </Typography.Text>
        </TwoLineCell>
      ),
    },
    {
      title: t('glossary:onboarding.field.legalName'),
      dataIndex: 'legalName',
      search: false,
      width: 200,
      render: (_, r) => <TwoLineCell secondary={r.idNumberMasked}>{r.legalName}</TwoLineCell>,
    },
    {
      title: t('glossary:onboarding.field.cardNo'),
      dataIndex: 'cardNoMasked',
      search: false,
      width: 200,
      render: (_, r) => <TwoLineCell secondary={r.mchNo ?? undefined}>{r.cardNoMasked}</TwoLineCell>,
    },
    {
      title: t('onboarding.state'),
      dataIndex: 'state',
      valueType: 'select',
      valueEnum: stateEnum,
      width: 180,
      render: (_, r) => (
        <Space direction="vertical" size={2}>
          <ApplicationStateTag state={r.state} />
          {r.reviewNote && (
            <Typography.Text
              type="secondary"
              ellipsis={{ tooltip: r.reviewNote }}
              style={{ fontSize: 12, maxWidth: 168 }}
            >
              {r.reviewNote}
            </Typography.Text>
          )}
        </Space>
      ),
    },
  ];

  return (
    <Page title={t('onboarding.title')} subTitle={t('onboarding.subtitle')}>
      <div data-testid="agent-onboarding-table">
        <ProTable<ApplicationRow>
          rowKey="applicationNo"
          actionRef={actionRef}
          columns={columns}
          cardBordered
          scroll={{ x: widthOf(columns) }}
          columnsState={remembered('agent.onboarding')}
          size="middle"
          search={{
            labelWidth: 'auto',
            defaultCollapsed: false,
            span: { xs: 24, sm: 12, md: 8, lg: 8, xl: 6, xxl: 6 },
          }}
          pagination={{ defaultPageSize: 20, showSizeChanger: true, pageSizeOptions: [20, 50, 100] }}
          options={{ density: true, setting: true, reload: true, fullScreen: true }}
          toolBarRender={() => [
            <ApplicationForm
              key="create"
              onDone={(no) => {
                reload();
                setOpen(no);
              }}
            />,
          ]}
          onRow={(r) =>
            openableRow(
              () => setOpen(r.applicationNo),
              `${t('glossary:onboarding.application')} ${r.applicationNo}`,
            )
          }
          onRequestError={onRequestError}
          request={(p) => fetchTablePage<ApplicationRow>(BASE, { q: p.q?.trim(), state: p.state }, p)}
        />
      </div>
      <ApplicationDrawer applicationNo={open} onClose={() => setOpen(null)} onChanged={reload} />
    </Page>
  );
}

/** One application: its detail; while the agent may edit it, the edit form, the uploads and submission. */
function ApplicationDrawer({
  applicationNo,
  onClose,
  onChanged,
}: {
  applicationNo: string | null;
  onClose: () => void;
  onChanged: () => void;
}) {
  const { t } = useTranslation(['agent', 'common']);
  const { message } = App.useApp();
  const screens = Grid.useBreakpoint();
  const detail = useApi<ApplicationDetail>(applicationNo ? pathOf(applicationNo) : null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const d = detail.data;
  const editable = d && EDITABLE_STATES.includes(d.state);
  const changed = async () => {
    await detail.reload();
    onChanged();
  };
  const submit = async () => {
    if (!d) return;
    setError(null);
    setBusy(true);
    try {
      await api.post(`${pathOf(d.applicationNo)}/submit`);
      message.success(t('onboarding.submitted'));
      await changed();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Drawer
      open={!!applicationNo}
      onClose={onClose}
      width={screens.md ? 820 : '100%'}
      destroyOnHidden
      title={
        <Space wrap>
          <span>{t('glossary:onboarding.application')}</span>
          <span className="qy-mono">{applicationNo}</span>
          {d && <ApplicationStateTag state={d.state} />}
        </Space>
      }
      extra={
        editable && d ? (
          <Space wrap>
            <ApplicationForm detail={d} onDone={changed} />
            <Button type="primary" icon={<SendOutlined />} loading={busy} onClick={submit}>
              {t('onboarding.submit')}
            </Button>
          </Space>
        ) : null
      }
    >
      <ErrorAlert error={detail.error ?? error} />
      {!d ? (
        <div className="qy-full-center" style={{ minHeight: 200 }}>
          <Spin />
        </div>
      ) : (
        <Flex vertical gap={16}>
          {editable && <Uploads detail={d} onDone={changed} />}
          <ApplicationDetailView detail={d} documentBase={pathOf(d.applicationNo)} />
        </Flex>
      )}
    </Drawer>
  );
}

/** The documents the application needs, each with its upload button (checked again by the server). */
function Uploads({ detail, onDone }: { detail: ApplicationDetail; onDone: () => Promise<void> }) {
  const { t } = useTranslation(['agent', 'common']);
  const { message } = App.useApp();
  const [busy, setBusy] = useState<DocumentKind | null>(null);
  const have = new Set(detail.documents.map((doc) => doc.kind));
  const upload = async (kind: DocumentKind, file: File) => {
    if (file.size > MAX_DOCUMENT_BYTES) {
      message.error(t('errors:code.FILE_TOO_LARGE'));
      return;
    }
    setBusy(kind);
    try {
      const content = await asBase64(file);
      await api.put(`${pathOf(detail.applicationNo)}/documents/${kind}`, { content });
      message.success(t('onboarding.uploaded'));
      await onDone();
    } catch (e) {
      message.error(errorText(e));
    } finally {
      setBusy(null);
    }
  };
  return (
    <Flex vertical gap={8}>
      <Typography.Text type="secondary">{t('onboarding.uploadHint')}</Typography.Text>
      <Flex wrap gap={8}>
        {DOCUMENT_KINDS.filter((k) => detail.requiredDocuments.includes(k)).map((kind) => (
          <Upload
            key={kind}
            accept=".jpg,.jpeg,.png,.pdf,image/jpeg,image/png,application/pdf"
            showUploadList={false}
            beforeUpload={(file) => {
              void upload(kind, file);
              return false;
            }}
          >
            <Button icon={<UploadOutlined />} loading={busy === kind}>
              {t(`glossary:onboarding.document.${kind}`)} ·{' '}
              {have.has(kind) ? t('onboarding.replace') : t('onboarding.upload')}
            </Button>
          </Upload>
        ))}
      </Flex>
    </Flex>
  );
}

function asBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

interface FormValues {
  merchantType: 'company' | 'individual';
  merchantName: string;
  shortName?: string;
  businessCategory?: string;
  legalName: string;
  idNumber?: string;
  licenceNo?: string;
  contactName: string;
  phone?: string;
  email?: string;
  cardHolder: string;
  bankName: string;
  bankBranch?: string;
  cardNo?: string;
  rates?: { productCode: string; rate: string; fixedFee?: string; minimumFee?: string }[];
}

/**
 * Create (no `detail`) or edit an application. On an edit the numbers stay as they are unless typed
 * again: the agent never gets them back in full, so the fields show the masked form as a hint.
 */
function ApplicationForm({
  detail,
  onDone,
}: {
  detail?: ApplicationDetail;
  onDone: (applicationNo: string) => void | Promise<void>;
}) {
  const { t } = useTranslation(['agent', 'common']);
  const { message } = App.useApp();
  const screens = Grid.useBreakpoint();
  const me = useApi<AgentMe>('/api/agent/me');
  const [error, setError] = useState<unknown>(null);
  const f = (key: string) => t(`glossary:onboarding.field.${key}`);
  const need = (key: string) => [
    { required: true, whitespace: true, message: t('onboarding.required', { field: f(key) }) },
  ];
  const numberField = (
    name: 'idNumber' | 'licenceNo' | 'phone' | 'cardNo',
    masked: string | null | undefined,
  ) => (
    <ProFormText
      name={name}
      label={f(name)}
      placeholder={masked ? t('onboarding.keepNumber', { masked }) : undefined}
      fieldProps={{ autoComplete: 'off', maxLength: 40 }}
      rules={detail && masked ? [] : need(name)}
    />
  );
  const products = (me.data?.rates ?? []).map((r) => ({
    value: r.productCode,
    label: `${r.productName ?? r.productCode} · ${percentFromPpm(r.ratePpm)}`,
  }));
  const initialValues: Partial<FormValues> = detail
    ? {
        merchantType: detail.merchantType,
        merchantName: detail.merchantName,
        shortName: detail.shortName,
        businessCategory: detail.businessCategory,
        legalName: detail.legalName,
        contactName: detail.contactName,
        email: detail.email,
        cardHolder: detail.cardHolder,
        bankName: detail.bankName,
        bankBranch: detail.bankBranch,
        rates: detail.rates.map((r) => ({
          productCode: r.productCode,
          rate: percentPlain(r.ratePpm),
          fixedFee: r.fixedFee ? yuanPlain(r.fixedFee) : '',
          minimumFee: r.minimumFee ? yuanPlain(r.minimumFee) : '',
        })),
      }
    : { merchantType: 'company', rates: [] };
  return (
    <DrawerForm<FormValues>
      title={detail ? t('onboarding.editTitle', { no: detail.applicationNo }) : t('onboarding.createTitle')}
      width={screens.md ? 640 : '100%'}
      drawerProps={{ destroyOnHidden: true, afterOpenChange: (o) => !o && setError(null) }}
      initialValues={initialValues}
      trigger={
        detail ? (
          <Button icon={<EditOutlined />}>{t('onboarding.edit')}</Button>
        ) : (
          <Button type="primary" icon={<PlusOutlined />}>
            {t('onboarding.create')}
          </Button>
        )
      }
      onFinish={async (v) => {
        setError(null);
        const body = {
          merchantType: v.merchantType,
          merchantName: v.merchantName.trim(),
          shortName: v.shortName?.trim() || undefined,
          businessCategory: v.businessCategory?.trim() || undefined,
          legalName: v.legalName.trim(),
          idNumber: v.idNumber?.trim() || undefined,
          licenceNo: v.merchantType === 'company' ? v.licenceNo?.trim() || undefined : undefined,
          contactName: v.contactName.trim(),
          phone: v.phone?.trim() || undefined,
          email: v.email?.trim() || '',
          cardHolder: v.cardHolder.trim(),
          bankName: v.bankName.trim(),
          bankBranch: v.bankBranch?.trim() || undefined,
          cardNo: v.cardNo?.trim() || undefined,
          rates: (v.rates ?? []).map((r) => ({
            productCode: r.productCode,
            ratePpm: ppmFromPercent(r.rate) ?? 0,
            fixedFee: feePartOf(r.fixedFee),
            minimumFee: feePartOf(r.minimumFee),
          })),
        };
        try {
          const saved = detail
            ? await api.put<ApplicationRow>(pathOf(detail.applicationNo), body)
            : await api.post<ApplicationRow>(BASE, body);
          message.success(detail ? t('onboarding.saved') : t('onboarding.created'));
          await onDone(saved.applicationNo);
          return true;
        } catch (e) {
          setError(e);
          return false;
        }
      }}
    >
      <ErrorAlert error={error} />
      <Typography.Title level={3} style={{ fontSize: 15 }}>
        {t('onboarding.sections.merchant')}
      </Typography.Title>
      <ProFormRadio.Group
        name="merchantType"
        label={f('merchantType')}
        options={[
          { value: 'company', label: t('glossary:onboarding.merchantType.company') },
          { value: 'individual', label: t('glossary:onboarding.merchantType.individual') },
        ]}
      />
      <ProFormText
        name="merchantName"
        label={f('merchantName')}
        fieldProps={{ maxLength: 128 }}
        rules={need('merchantName')}
      />
      <ProFormGroup>
        <ProFormText name="shortName" label={f('shortName')} fieldProps={{ maxLength: 64 }} />
        <ProFormText name="businessCategory" label={f('businessCategory')} fieldProps={{ maxLength: 64 }} />
      </ProFormGroup>
      <ProFormGroup>
        <ProFormText
          name="contactName"
          label={f('contactName')}
          fieldProps={{ maxLength: 64 }}
          rules={need('contactName')}
        />
        {numberField('phone', detail?.phoneMasked)}
      </ProFormGroup>
      <ProFormText
        name="email"
        label={f('email')}
        fieldProps={{ maxLength: 128 }}
        rules={[{ type: 'email' }]}
      />
      <Typography.Title level={3} style={{ fontSize: 15 }}>
        {t('onboarding.sections.legal')}
      </Typography.Title>
      <ProFormGroup>
        <ProFormText
          name="legalName"
          label={f('legalName')}
          fieldProps={{ maxLength: 64 }}
          rules={need('legalName')}
        />
        {numberField('idNumber', detail?.idNumberMasked)}
      </ProFormGroup>
      <ProFormDependencyLicence
        render={(company) => (company ? numberField('licenceNo', detail?.licenceNoMasked) : null)}
      />
      <Typography.Title level={3} style={{ fontSize: 15 }}>
        {t('onboarding.sections.card')}
      </Typography.Title>
      <ProFormGroup>
        <ProFormText
          name="cardHolder"
          label={f('cardHolder')}
          fieldProps={{ maxLength: 128 }}
          rules={need('cardHolder')}
        />
        {numberField('cardNo', detail?.cardNoMasked)}
      </ProFormGroup>
      <ProFormGroup>
        <ProFormText
          name="bankName"
          label={f('bankName')}
          fieldProps={{ maxLength: 128 }}
          rules={need('bankName')}
        />
        <ProFormText name="bankBranch" label={f('bankBranch')} fieldProps={{ maxLength: 128 }} />
      </ProFormGroup>
      <Typography.Title level={3} style={{ fontSize: 15 }}>
        {t('onboarding.sections.rates')}
      </Typography.Title>
      <ProFormList
        name="rates"
        creatorButtonProps={{ creatorButtonText: t('onboarding.addRate') }}
        creatorRecord={{ productCode: products[0]?.value, rate: '' }}
        copyIconProps={false}
      >
        <ProFormGroup>
          <ProFormSelect
            name="productCode"
            label={t('onboarding.product')}
            options={products}
            width="sm"
            rules={[
              { required: true, message: t('onboarding.required', { field: t('onboarding.product') }) },
            ]}
          />
          <ProFormText
            name="rate"
            label={t('onboarding.ratePercent')}
            width="xs"
            rules={[percentRule(true)]}
          />
          <ProFormText name="fixedFee" label={t('onboarding.fixedFee')} width="xs" rules={[feeRule()]} />
          <ProFormText name="minimumFee" label={t('onboarding.minimumFee')} width="xs" rules={[feeRule()]} />
        </ProFormGroup>
      </ProFormList>
    </DrawerForm>
  );
}

/** Renders the licence number field only for a company. */
function ProFormDependencyLicence({ render }: { render: (company: boolean) => ReactNode }) {
  return (
    <ProFormDependency name={['merchantType']}>
      {({ merchantType }) => render(merchantType === 'company')}
    </ProFormDependency>
  );
}
