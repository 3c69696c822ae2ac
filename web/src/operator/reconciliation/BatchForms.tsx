import { PlayCircleOutlined, UploadOutlined } from '@ant-design/icons';
import { ModalForm, ProFormDatePicker, ProFormSelect } from '@ant-design/pro-components';
import { App, Button, Form, Upload, type UploadFile } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api.ts';
import { ErrorAlert } from '../../shell/ErrorAlert.tsx';
import type { ChannelAccount } from '../types.ts';
import type { Batch } from './types.ts';

interface Target {
  channelAccountId?: string;
  day?: string | Dayjs;
}

/** The account and day fields both dialogs ask for; the day defaults to yesterday, as the daily job's. */
function TargetFields({ accounts }: { accounts: ChannelAccount[] }) {
  const { t } = useTranslation('operator');
  return (
    <>
      <ProFormSelect
        name="channelAccountId"
        label={t('reconciliation.account')}
        showSearch
        options={accounts.map((a) => ({ value: a.id, label: `${a.name} (#${a.id})` }))}
        rules={[{ required: true, message: t('reconciliation.accountRequired') }]}
      />
      <ProFormDatePicker
        name="day"
        label={t('reconciliation.day')}
        fieldProps={{
          format: 'YYYY-MM-DD',
          disabledDate: (d: Dayjs) => d.isAfter(dayjs(), 'day'),
          style: { width: '100%' },
        }}
        rules={[{ required: true, message: t('reconciliation.dayRequired') }]}
      />
    </>
  );
}

const dayOf = (v: string | Dayjs | undefined) => dayjs(v).format('YYYY-MM-DD');

/** Says what a run found: done with its day, or failed with the channel's reason. */
function useRunAnswer() {
  const { t } = useTranslation('operator');
  const { message } = App.useApp();
  return (batch: Batch) => {
    if (batch.state === 'failed')
      message.error(t('reconciliation.ranFailed', { reason: batch.failure ?? '' }));
    else message.success(t('reconciliation.ran', { day: batch.day }));
  };
}

/** 执行对账 / 重新对账: the account's statement of a day fetched from the channel and checked. */
export function RunDialog({
  accounts,
  initial,
  rerun,
  onDone,
}: {
  accounts: ChannelAccount[];
  initial?: { channelAccountId: string; day: string };
  rerun?: boolean;
  onDone: (batch: Batch) => void;
}) {
  const { t } = useTranslation('operator');
  const [error, setError] = useState<unknown>(null);
  const answer = useRunAnswer();
  return (
    <ModalForm<Target>
      // Its own field ids: the list's search form has a channelAccountId field too.
      name={rerun ? 'reconRerun' : 'reconRun'}
      title={t('reconciliation.runTitle')}
      width={480}
      modalProps={{ destroyOnHidden: true, afterClose: () => setError(null) }}
      initialValues={{
        channelAccountId: initial?.channelAccountId ?? accounts[0]?.id,
        day: dayjs(initial?.day ?? dayjs().subtract(1, 'day').format('YYYY-MM-DD')),
      }}
      trigger={
        <Button type={rerun ? 'default' : 'primary'} icon={<PlayCircleOutlined />} data-testid="recon-run">
          {rerun ? t('reconciliation.rerun') : t('reconciliation.run')}
        </Button>
      }
      onFinish={async (v) => {
        setError(null);
        try {
          const batch = await api.post<Batch>('/api/admin/reconciliation/batches', {
            channelAccountId: v.channelAccountId,
            day: dayOf(v.day),
          });
          answer(batch);
          onDone(batch);
          return true;
        } catch (e) {
          setError(e);
          return false;
        }
      }}
    >
      <p>{t('reconciliation.runHint')}</p>
      <ErrorAlert error={error} />
      <TargetFields accounts={accounts} />
    </ModalForm>
  );
}

/** The file's bytes as base64, the upload route's body. */
async function base64Of(file: Blob): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** 上传对账单: a statement file downloaded from the channel by hand, read in the channel's own format. */
export function UploadDialog({
  accounts,
  onDone,
}: {
  accounts: ChannelAccount[];
  onDone: (batch: Batch) => void;
}) {
  const { t } = useTranslation('operator');
  const [error, setError] = useState<unknown>(null);
  const answer = useRunAnswer();
  return (
    <ModalForm<Target & { file?: UploadFile[] }>
      name="reconUpload"
      title={t('reconciliation.uploadTitle')}
      width={480}
      modalProps={{ destroyOnHidden: true, afterClose: () => setError(null) }}
      initialValues={{
        channelAccountId: accounts[0]?.id,
        day: dayjs().subtract(1, 'day'),
      }}
      trigger={
        <Button icon={<UploadOutlined />} data-testid="recon-upload">
          {t('reconciliation.upload')}
        </Button>
      }
      onFinish={async (v) => {
        setError(null);
        const file = v.file?.[0]?.originFileObj;
        if (!file) return false;
        try {
          const batch = await api.post<Batch>('/api/admin/reconciliation/uploads', {
            channelAccountId: v.channelAccountId,
            day: dayOf(v.day),
            fileName: file.name.slice(0, 128),
            file: await base64Of(file),
          });
          answer(batch);
          onDone(batch);
          return true;
        } catch (e) {
          setError(e);
          return false;
        }
      }}
    >
      <p>{t('reconciliation.uploadHint')}</p>
      <ErrorAlert error={error} />
      <TargetFields accounts={accounts} />
      <Form.Item
        name="file"
        label={t('reconciliation.file')}
        valuePropName="fileList"
        getValueFromEvent={(e: { fileList: UploadFile[] }) => e.fileList.slice(-1)}
        rules={[{ required: true, message: t('reconciliation.fileRequired') }]}
      >
        {/* Kept in the form, sent with it: nothing is uploaded before the dialog is confirmed. */}
        <Upload beforeUpload={() => false} maxCount={1}>
          <Button icon={<UploadOutlined />}>{t('reconciliation.pickFile')}</Button>
        </Upload>
      </Form.Item>
    </ModalForm>
  );
}
