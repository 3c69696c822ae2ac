import { ProCard } from '@ant-design/pro-components';
import {
  Alert,
  App,
  Button,
  Calendar,
  Form,
  Grid,
  Input,
  Modal,
  Radio,
  Select,
  Space,
  Tag,
  Typography,
} from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api.ts';
import { ErrorAlert } from '../../shell/ErrorAlert.tsx';
import { errorText } from '../../shell/errors.ts';
import { Page } from '../../shell/Page.tsx';
import { useCan } from '../../shell/session.tsx';
import { useApi } from '../../shell/useApi.ts';

interface CalendarDay {
  date: string;
  businessDay: boolean;
  kind: 'holiday' | 'workday' | null;
  name: string | null;
}

const COLORS = { holiday: 'red', workday: 'blue', weekend: 'default' } as const;

const OUT_OF_MONTH_CSS =
  '.qy-settlement-calendar .ant-picker-cell:not(.ant-picker-cell-in-view) { color: rgba(0, 0, 0, 0.6); }';

/** 结算日历: which days are business days for T1/TN; holidays and make-up working days are set by hand. */
export function SettlementCalendarPage() {
  const { t } = useTranslation(['operator', 'common']);
  const can = useCan();
  const writable = can('finance.configure');
  // The day the calendar has selected (today at first); its month is the one shown and loaded.
  const [selected, setSelected] = useState<Dayjs>(dayjs());
  const month = selected.startOf('month');
  const from = month.startOf('month').subtract(7, 'day').format('YYYY-MM-DD');
  const to = month.endOf('month').add(14, 'day').format('YYYY-MM-DD');
  const days = useApi<CalendarDay[]>(`/api/admin/settlement/calendar?from=${from}&to=${to}`);
  const byDate = new Map((days.data ?? []).map((d) => [d.date, d]));
  const [editing, setEditing] = useState<Dayjs | null>(null);
  // On a phone the month is the small calendar: each day's kind is its colour (the legend says which).
  const phone = !Grid.useBreakpoint().md;

  const cell = (date: Dayjs) => {
    const key = date.format('YYYY-MM-DD');
    const day = byDate.get(key);
    const weekend = date.day() === 0 || date.day() === 6;
    const tag = day?.kind ? (
      <Tag color={COLORS[day.kind]} bordered={false} style={{ marginInlineEnd: 0, maxWidth: '100%' }}>
        <span className="qy-calendar-tag">
          {day.kind === 'holiday' ? t('glossary:holiday') : t('glossary:makeUpWorkday')}
        </span>
      </Tag>
    ) : weekend ? (
      <Tag bordered={false} style={{ marginInlineEnd: 0 }}>
        {t('calendar.weekend')}
      </Tag>
    ) : null;
    return (
      <div data-date={key} data-kind={day?.kind ?? (weekend ? 'weekend' : 'business')}>
        {tag}
        {day?.name && (
          <Typography.Text type="secondary" ellipsis style={{ display: 'block', fontSize: 12 }}>
            {day.name}
          </Typography.Text>
        )}
      </div>
    );
  };

  return (
    <Page title={t('calendar.title')} subTitle={t('calendar.subtitle')}>
      <ErrorAlert error={days.error} />
      <ProCard bordered>
        <Space wrap size={[16, 8]} style={{ marginBottom: 12 }} data-testid="calendar-legend">
          <Typography.Text strong>{t('calendar.legend')}</Typography.Text>
          <Space size={4}>
            <Tag color="red" bordered={false}>
              {t('glossary:holiday')}
            </Tag>
            <Typography.Text type="secondary">{t('calendar.holidayMeans')}</Typography.Text>
          </Space>
          <Space size={4}>
            <Tag color="blue" bordered={false}>
              {t('glossary:makeUpWorkday')}
            </Tag>
            <Typography.Text type="secondary">{t('calendar.workdayMeans')}</Typography.Text>
          </Space>
          <Space size={4}>
            <Tag bordered={false}>{t('calendar.weekend')}</Tag>
            <Typography.Text type="secondary">{t('calendar.weekendMeans')}</Typography.Text>
          </Space>
        </Space>
        {writable && (
          <Alert type="info" showIcon style={{ marginBottom: 12 }} message={t('calendar.clickHint')} />
        )}
        <div data-testid="settlement-calendar" className="qy-settlement-calendar">
          {/* Days of the next and last month, greyed by antd below the contrast a reader needs. */}
          <style>{OUT_OF_MONTH_CSS}</style>
          <Calendar
            headerRender={({ value, onChange }) => (
              <Space style={{ display: 'flex', justifyContent: 'flex-end', padding: '8px 0' }} wrap>
                <Select
                  aria-label={t('calendar.year')}
                  value={value.year()}
                  style={{ width: 96 }}
                  options={Array.from({ length: 7 }, (_, i) => dayjs().year() - 3 + i).map((y) => ({
                    value: y,
                    label: String(y),
                  }))}
                  onChange={(y: number) => onChange(value.year(y))}
                />
                <Select
                  aria-label={t('calendar.month')}
                  value={value.month()}
                  style={{ width: 96 }}
                  options={Array.from({ length: 12 }, (_, m) => ({
                    value: m,
                    label: dayjs().month(m).format('MMM'),
                  }))}
                  onChange={(m: number) => onChange(value.month(m))}
                />
              </Space>
            )}
            value={selected}
            onPanelChange={(d) => setSelected(d)}
            onSelect={(d, info) => {
              setSelected(d);
              if (info.source === 'date' && writable) setEditing(d);
            }}
            fullscreen={!phone}
            cellRender={phone ? undefined : (d, info) => (info.type === 'date' ? cell(d) : info.originNode)}
            fullCellRender={
              phone
                ? (d, info) => {
                    if (info.type !== 'date') return info.originNode;
                    const day = byDate.get(d.format('YYYY-MM-DD'));
                    const kind = day?.kind ?? (d.day() === 0 || d.day() === 6 ? 'weekend' : null);
                    return (
                      <div
                        className="ant-picker-cell-inner"
                        data-date={d.format('YYYY-MM-DD')}
                        data-kind={kind ?? 'business'}
                        title={day?.name ?? undefined}
                        style={{
                          borderRadius: 4,
                          color:
                            kind === 'holiday'
                              ? '#a8071a'
                              : kind === 'workday'
                                ? '#003eb3'
                                : d.isSame(month, 'month')
                                  ? undefined
                                  : 'rgba(0, 0, 0, 0.6)',
                          background:
                            kind === 'holiday'
                              ? '#fff1f0'
                              : kind === 'workday'
                                ? '#e6f4ff'
                                : kind
                                  ? '#f5f5f5'
                                  : undefined,
                        }}
                      >
                        {d.date()}
                      </div>
                    );
                  }
                : undefined
            }
          />
        </div>
      </ProCard>
      <DayDialog
        // A new dialog (and form) per day, so its fields start from that day's entry.
        key={editing?.format('YYYY-MM-DD') ?? 'none'}
        date={editing}
        day={editing ? byDate.get(editing.format('YYYY-MM-DD')) : undefined}
        onClose={() => setEditing(null)}
        onSaved={async () => {
          setEditing(null);
          await days.reload();
        }}
      />
    </Page>
  );
}

function DayDialog({
  date,
  day,
  onClose,
  onSaved,
}: {
  date: Dayjs | null;
  day: CalendarDay | undefined;
  onClose: () => void;
  onSaved: () => Promise<void>;
}) {
  const { t } = useTranslation(['operator', 'common']);
  const { message } = App.useApp();
  const [form] = Form.useForm<{ kind: 'holiday' | 'workday'; name: string }>();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const key = date?.format('YYYY-MM-DD') ?? '';
  const weekend = date ? date.day() === 0 || date.day() === 6 : false;

  const save = async () => {
    const v = await form.validateFields();
    setBusy(true);
    setError(null);
    try {
      await api.put(`/api/admin/settlement/holidays/${key}`, { kind: v.kind, name: v.name.trim() });
      message.success(t('calendar.saved', { date: key }));
      await onSaved();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const clear = async () => {
    setBusy(true);
    setError(null);
    try {
      await api.del(`/api/admin/settlement/holidays/${key}`);
      message.success(t('calendar.cleared', { date: key }));
      await onSaved();
    } catch (e) {
      message.error(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      open={!!date}
      title={t('calendar.dayTitle', { date: key })}
      onCancel={onClose}
      destroyOnHidden
      footer={
        <Space wrap>
          {day?.kind && (
            <Button danger onClick={clear} loading={busy}>
              {t('calendar.clear')}
            </Button>
          )}
          <Button onClick={onClose}>{t('common:actions.cancel')}</Button>
          <Button type="primary" onClick={save} loading={busy}>
            {t('common:actions.save')}
          </Button>
        </Space>
      }
    >
      <Typography.Paragraph type="secondary">
        {day?.businessDay === false ? t('calendar.isClosed') : t('calendar.isOpen')}
      </Typography.Paragraph>
      <ErrorAlert error={error} />
      <Form
        form={form}
        layout="vertical"
        initialValues={{ kind: day?.kind ?? (weekend ? 'workday' : 'holiday'), name: day?.name ?? '' }}
      >
        <Form.Item name="kind" label={t('calendar.kind')} rules={[{ required: true }]}>
          <Radio.Group
            options={[
              { value: 'holiday', label: t('glossary:holiday') },
              { value: 'workday', label: t('glossary:makeUpWorkday') },
            ]}
          />
        </Form.Item>
        <Form.Item
          name="name"
          label={t('calendar.name')}
          rules={[{ required: true, whitespace: true, message: t('calendar.nameRequired') }]}
        >
          <Input maxLength={40} placeholder={t('calendar.namePlaceholder')} />
        </Form.Item>
      </Form>
    </Modal>
  );
}
