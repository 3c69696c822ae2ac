import { ExperimentOutlined } from '@ant-design/icons';
import { Alert, Button, Space, Switch, Tag, Tooltip, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';

/** What a statistics answer says about test orders (operator stats, merchant dashboard). */
export interface TestDataAnswer {
  /** The figures count test orders too. */
  includesTest?: boolean;
  /** Test orders in the answer's window, counted or not (the hint when they are left out). */
  testOrderCount?: number;
  /** The platform has no real channel account (the demo): test data is shown by default. */
  testDataOnly?: boolean;
}

/**
 * The "include test orders" switch of a dashboard, remembered in the browser. Until the person
 * chooses, it follows the platform:
 * on where every channel account is a test account (the demo, whose figures would otherwise stay
 * empty), off elsewhere, so real figures never mix with test orders unless someone asks.
 */
/** Where the person's choice is kept, so the dashboards open the way they were left. */
const STORAGE_KEY = 'qy.includeTest';

function storedChoice(): boolean | null {
  try {
    const value = localStorage.getItem(STORAGE_KEY);
    return value === '1' ? true : value === '0' ? false : null;
  } catch {
    return null;
  }
}

export function useTestData() {
  const [chosen, setChosen] = useState<boolean | null>(storedChoice);
  const [platformDefault, setPlatformDefault] = useState(false);
  const show = chosen ?? platformDefault;
  return {
    /** Whether test orders are asked for. */
    show,
    /** The query flag to send: `includeTest=1`, or nothing for real figures only. */
    includeTest: show ? 1 : undefined,
    /** Sets the switch and remembers it (in this browser) for every dashboard. */
    choose: (on: boolean) => {
      setChosen(on);
      try {
        localStorage.setItem(STORAGE_KEY, on ? '1' : '0');
      } catch {
        // Private mode without storage: the choice lasts for this page.
      }
    },
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

/**
 * Says that test orders were left out of the figures (so zeros after a day of testing are not a
 * mystery), with a button that turns the switch on. Nothing while they count or there are none.
 */
export function TestDataHint({
  answer,
  onInclude,
}: {
  answer: TestDataAnswer | null | undefined;
  onInclude: () => void;
}) {
  const { t } = useTranslation();
  const count = answer?.testOrderCount ?? 0;
  if (!answer || answer.includesTest || count === 0) return null;
  return (
    <Alert
      type="info"
      showIcon
      icon={<ExperimentOutlined />}
      style={{ marginBottom: 16 }}
      data-testid="test-data-hint"
      message={t('testData.excluded', { count })}
      action={
        <Button size="small" onClick={onInclude}>
          {t('testData.include')}
        </Button>
      }
    />
  );
}
