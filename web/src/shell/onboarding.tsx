import { FilePdfOutlined } from '@ant-design/icons';
import { Alert, Descriptions, Empty, Flex, Image, Tag, Timeline, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { dateTime, percentFromPpm, yuan } from './format.ts';

/** An onboarding application's states (src/onboarding/queries.ts). */
export type ApplicationState =
  | 'draft'
  | 'submitted'
  | 'changes_requested'
  | 'resubmitted'
  | 'approved'
  | 'rejected';
export const APPLICATION_STATES: ApplicationState[] = [
  'draft',
  'submitted',
  'changes_requested',
  'resubmitted',
  'approved',
  'rejected',
];
export type DocumentKind = 'licence' | 'id_front' | 'id_back';
export const DOCUMENT_KINDS: DocumentKind[] = ['licence', 'id_front', 'id_back'];
export const MAX_DOCUMENT_BYTES = 5 * 1024 * 1024;

/** An application as both lists show it: every number masked. */
export interface ApplicationRow {
  applicationNo: string;
  state: ApplicationState;
  merchantType: 'company' | 'individual';
  merchantName: string;
  shortName: string;
  legalName: string;
  contactName: string;
  agentNo: string | null;
  mchNo: string | null;
  idNumberMasked: string;
  licenceNoMasked: string | null;
  phoneMasked: string;
  cardNoMasked: string;
  reviewNote: string;
  submittedAt: string | null;
  createdAt: string;
  blacklistHit: boolean;
}

export interface ApplicationRate {
  productCode: string;
  ratePpm: number;
  fixedFee: number;
  minimumFee: number;
}

export interface BlacklistHit {
  field: 'idNumber' | 'licenceNo' | 'phone' | 'cardNo';
  kind: string;
  entryId: string;
  masked: string;
  note: string;
}

export interface ApplicationDetail extends ApplicationRow {
  email: string;
  businessCategory: string;
  cardHolder: string;
  bankName: string;
  bankBranch: string;
  rates: ApplicationRate[];
  requiredDocuments: DocumentKind[];
  documents: { kind: DocumentKind; contentType: string; sizeBytes: number; uploadedAt: string }[];
  events: {
    action: string;
    fromState: string | null;
    toState: string;
    note: string;
    by: string | null;
    at: string;
  }[];
  hits: BlacklistHit[];
  numbers: { idNumber: string; licenceNo: string | null; phone: string; cardNo: string } | null;
}

const STATE_COLORS: Record<ApplicationState, string> = {
  draft: 'default',
  submitted: 'gold',
  changes_requested: 'orange',
  resubmitted: 'gold',
  approved: 'green',
  rejected: 'red',
};

/** Where the application's edits belong to its submitter. */
export const EDITABLE_STATES: ApplicationState[] = ['draft', 'changes_requested'];
/** Where the application waits for the reviewer. */
export const IN_REVIEW_STATES: ApplicationState[] = ['submitted', 'resubmitted'];

export function ApplicationStateTag({ state }: { state: ApplicationState }) {
  const { t } = useTranslation();
  return (
    <Tag color={STATE_COLORS[state]} bordered={false}>
      {t(`glossary:onboarding.state.${state}`, { defaultValue: state })}
    </Tag>
  );
}

/** The ProTable select of the states, in the glossary's words. */
export function useStateEnum() {
  const { t } = useTranslation();
  return Object.fromEntries(
    APPLICATION_STATES.map((s) => [s, { text: t(`glossary:onboarding.state.${s}`) }]),
  );
}

/**
 * An application as a reviewer or its submitter reads it: the merchant, the legal person and the
 * card (numbers masked, or in full for reviewers), rates, documents (images shown, PDFs opened in
 * a tab; `documentBase` is the route they are read from), blacklist hits and the history.
 */
export function ApplicationDetailView({
  detail,
  documentBase,
}: {
  detail: ApplicationDetail;
  documentBase: string;
}) {
  const { t } = useTranslation();
  const f = (key: string) => t(`glossary:onboarding.field.${key}`);
  const hitFields = new Set(detail.hits.map((h) => h.field));
  const number = (field: 'idNumber' | 'licenceNo' | 'phone' | 'cardNo', masked: string | null) => {
    const shown = detail.numbers?.[field] ?? masked;
    return (
      <Typography.Text
        className="qy-mono"
        type={hitFields.has(field) ? 'danger' : undefined}
        strong={hitFields.has(field)}
        copyable={detail.numbers ? { text: shown ?? '' } : false}
        data-field={field}
      >
        {shown ?? '-'}
      </Typography.Text>
    );
  };
  const have = new Map(detail.documents.map((d) => [d.kind, d]));
  const kinds = DOCUMENT_KINDS.filter((k) => detail.requiredDocuments.includes(k) || have.has(k));
  return (
    <Flex vertical gap={16}>
      {detail.hits.length > 0 && (
        <Alert
          type="error"
          showIcon
          data-testid="blacklist-hits"
          message={t('common:onboarding.hitsTitle')}
          description={
            <ul style={{ margin: 0, paddingInlineStart: 18 }}>
              {detail.hits.map((h) => (
                <li key={h.entryId}>
                  {t('common:onboarding.hitLine', {
                    field: f(h.field),
                    masked: h.masked,
                    note: h.note ? `· ${h.note}` : '',
                  })}
                </li>
              ))}
            </ul>
          }
        />
      )}
      {detail.reviewNote && (
        <Alert
          type={detail.state === 'rejected' ? 'error' : 'warning'}
          showIcon
          message={f('reviewNote')}
          description={detail.reviewNote}
        />
      )}
      {detail.numbers && <Alert type="info" showIcon message={t('common:onboarding.numbersShown')} />}
      <Descriptions bordered size="small" column={{ xs: 1, sm: 1, md: 2 }}>
        <Descriptions.Item label={f('merchantName')}>{detail.merchantName}</Descriptions.Item>
        <Descriptions.Item label={f('merchantType')}>
          {t(`glossary:onboarding.merchantType.${detail.merchantType}`)}
        </Descriptions.Item>
        <Descriptions.Item label={f('shortName')}>{detail.shortName || '-'}</Descriptions.Item>
        <Descriptions.Item label={f('businessCategory')}>{detail.businessCategory || '-'}</Descriptions.Item>
        <Descriptions.Item label={f('legalName')}>{detail.legalName}</Descriptions.Item>
        <Descriptions.Item label={f('idNumber')}>
          {number('idNumber', detail.idNumberMasked)}
        </Descriptions.Item>
        {detail.merchantType === 'company' && (
          <Descriptions.Item label={f('licenceNo')}>
            {number('licenceNo', detail.licenceNoMasked)}
          </Descriptions.Item>
        )}
        <Descriptions.Item label={f('contactName')}>{detail.contactName}</Descriptions.Item>
        <Descriptions.Item label={f('phone')}>{number('phone', detail.phoneMasked)}</Descriptions.Item>
        <Descriptions.Item label={f('email')}>{detail.email || '-'}</Descriptions.Item>
        <Descriptions.Item label={f('cardHolder')}>{detail.cardHolder}</Descriptions.Item>
        <Descriptions.Item label={f('bankName')}>
          {detail.bankName}
          {detail.bankBranch ? ` · ${detail.bankBranch}` : ''}
        </Descriptions.Item>
        <Descriptions.Item label={f('cardNo')}>{number('cardNo', detail.cardNoMasked)}</Descriptions.Item>
        <Descriptions.Item label={f('agent')}>
          <span className="qy-mono">{detail.agentNo ?? t('common:onboarding.none')}</span>
        </Descriptions.Item>
        {detail.mchNo && (
          <Descriptions.Item label={t('glossary:mchNo')}>
            <Typography.Text className="qy-mono" copyable>
              {detail.mchNo}
            </Typography.Text>
          </Descriptions.Item>
        )}
        <Descriptions.Item label={f('rates')} span={2}>
          {detail.rates.length === 0
            ? t('common:onboarding.noRates')
            : detail.rates.map((r) => (
                <div key={r.productCode}>
                  <span className="qy-mono">{r.productCode}</span>{' '}
                  {t('common:onboarding.rate', {
                    rate: percentFromPpm(r.ratePpm),
                    fixed: yuan(r.fixedFee),
                    minimum: yuan(r.minimumFee),
                  })}
                </div>
              ))}
        </Descriptions.Item>
      </Descriptions>
      <div>
        <Typography.Title level={3} style={{ fontSize: 15 }}>
          {f('documents')}
        </Typography.Title>
        {kinds.length === 0 ? (
          <Empty description={t('common:onboarding.noDocuments')} />
        ) : (
          <Flex wrap gap={12}>
            {kinds.map((kind) => {
              const doc = have.get(kind);
              const url = `${documentBase}/documents/${kind}?v=${encodeURIComponent(doc?.uploadedAt ?? '')}`;
              const label = t(`glossary:onboarding.document.${kind}`);
              return (
                <Flex key={kind} vertical gap={4} style={{ width: 150 }} data-document={kind}>
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {label}
                  </Typography.Text>
                  {!doc ? (
                    <Tag color="orange" bordered={false}>
                      {t('common:onboarding.missingDocument')}
                    </Tag>
                  ) : doc.contentType === 'application/pdf' ? (
                    <Typography.Link href={url} target="_blank" rel="noopener">
                      <FilePdfOutlined /> {t('common:onboarding.openFile')}
                    </Typography.Link>
                  ) : (
                    <Image src={url} alt={label} width={150} height={100} style={{ objectFit: 'cover' }} />
                  )}
                </Flex>
              );
            })}
          </Flex>
        )}
      </div>
      <div>
        <Typography.Title level={3} style={{ fontSize: 15 }}>
          {f('history')}
        </Typography.Title>
        <Timeline
          items={detail.events.map((e) => ({
            color: e.toState === 'rejected' ? 'red' : e.toState === 'approved' ? 'green' : 'blue',
            children: (
              <Flex vertical>
                <span>
                  {t(`glossary:onboarding.action.${e.action}`, { defaultValue: e.action })}
                  {e.by ? ` · ${e.by}` : ''}
                </span>
                {e.note && <Typography.Text type="secondary">{e.note}</Typography.Text>}
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {dateTime(e.at)}
                </Typography.Text>
              </Flex>
            ),
          }))}
        />
      </div>
    </Flex>
  );
}
