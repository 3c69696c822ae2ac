import { ExperimentOutlined } from '@ant-design/icons';
import { Space, Switch, Tag, Tooltip, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';

/** What a statistics answer says about test orders (operator stats, merchant dashboard). */
export interface TestDataAnswer {
  /** The figures count test orders too. */
  includesTest?: boolean;
  /** The platform has no real channel account (the demo): test data is shown by default. */
  testDataOnly?: boolean;
}

/**
 * The "show test data" switch of a dashboard. Until the person chooses, it follows the platform:
 * on where every channel account is a test account (the demo, whose figures would otherwise stay
 * empty), off elsewhere, so real figures never mix with test orders unless someone asks.
 */
export function useTestData() {
  const [chosen, setChosen] = useState<boolean | null>(null);
  const [platformDefault, setPlatformDefault] = useState(false);
  const show = chosen ?? platformDefault;
  return {
    /** Whether test orders are asked for. */
    show,
    /** The query flag to send: `includeTest=1`, or nothing for real figures only. */
    includeTest: show ? 1 : undefined,
    choose: (on: boolean) => setChosen(on),
    /**
     * Called while rendering with the latest answer: follows the platform's default (React renders
     * again at once, so an answer for the other setting never shows), and gives the answer back
     * only when it is for the switch's current setting.
     */
    current<T extends TestDataAnswer>(answer: T | null | undefined): T | undefined {
      if (!answer) return undefined;
      const fallback = answer.testDataOnly === true;
      if (fallback !== platformDefault) setPlatformDefault(fallback);
      return (answer.includesTest === true) === (chosen ?? fallback) ? answer : undefined;
    },
  };
}

/** The switch, for a page's header (zh/en label next to it; the label names it for screen readers). */
export function TestDataSwitch({ checked, onChange }: { checked: boolean; onChange: (on: boolean) => void }) {
  const { t } = useTranslation();
  return (
    <Space size={8} data-testid="test-data-switch">
      <Switch size="small" checked={checked} onChange={onChange} aria-label={t('testData.show')} />
      <Typography.Text type="secondary" style={{ whiteSpace: 'nowrap' }}>
        {t('testData.show')}
      </Typography.Text>
    </Space>
  );
}

/** Marks figures that count test orders, so nobody takes them for real money. */
export function TestDataTag() {
  const { t } = useTranslation();
  return (
    <Tooltip title={t('testData.includesTip')}>
      <Tag color="orange" icon={<ExperimentOutlined />} data-testid="test-data-tag">
        {t('testData.includes')}
      </Tag>
    </Tooltip>
  );
}
