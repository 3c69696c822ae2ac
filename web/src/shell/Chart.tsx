import {
  BarChart,
  type BarSeriesOption,
  LineChart,
  type LineSeriesOption,
  PieChart,
  type PieSeriesOption,
} from 'echarts/charts';
import {
  DatasetComponent,
  type DatasetComponentOption,
  GridComponent,
  type GridComponentOption,
  LegendComponent,
  type LegendComponentOption,
  TitleComponent,
  type TitleComponentOption,
  TooltipComponent,
  type TooltipComponentOption,
} from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { type CSSProperties, useEffect, useRef } from 'react';

echarts.use([
  LineChart,
  BarChart,
  PieChart,
  GridComponent,
  TooltipComponent,
  LegendComponent,
  TitleComponent,
  DatasetComponent,
  CanvasRenderer,
]);

/** The option types the bundled chart kinds accept (line, bar, pie with grid, tooltip, legend, title, dataset). */
export type ChartOption = echarts.ComposeOption<
  | LineSeriesOption
  | BarSeriesOption
  | PieSeriesOption
  | GridComponentOption
  | TooltipComponentOption
  | LegendComponentOption
  | TitleComponentOption
  | DatasetComponentOption
>;

export interface ChartProps {
  option: ChartOption;
  /** CSS height; the width follows the container. Default 320. */
  height?: number | string;
  /** Shows echarts' own loading mask. */
  loading?: boolean;
  style?: CSSProperties;
  className?: string;
  /** Accessible name of the chart (role="img"). */
  ariaLabel?: string;
}

/**
 * One echarts instance per mount: the option is applied on every change (replacing series, so removed
 * series disappear), the chart follows its container's size and is disposed on unmount.
 */
export function Chart({ option, height = 320, loading, style, className, ariaLabel }: ChartProps) {
  const ref = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);

  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    const instance = echarts.init(element, undefined, { renderer: 'canvas' });
    chart.current = instance;
    const observer = new ResizeObserver(() => instance.resize());
    observer.observe(element);
    return () => {
      observer.disconnect();
      instance.dispose();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    chart.current?.setOption(option, { replaceMerge: ['series', 'xAxis', 'yAxis', 'dataset'] });
  }, [option]);

  useEffect(() => {
    if (loading) chart.current?.showLoading('default', { text: '', maskColor: 'rgba(255,255,255,0.6)' });
    else chart.current?.hideLoading();
  }, [loading]);

  // What the canvas draws, said in the DOM too (for tests and tools): each series' kind and each value axis' side.
  const series = [option.series ?? []].flat().map((s) => s.type ?? '');
  const yAxes = [option.yAxis ?? []].flat().map((a) => ('position' in a ? (a.position ?? '') : ''));
  return (
    <div
      ref={ref}
      role="img"
      aria-label={ariaLabel}
      className={className}
      data-series={series.join(',')}
      data-y-axes={yAxes.join(',')}
      style={{ width: '100%', height, ...style }}
    />
  );
}

/** The two measures of a payments trend over one category axis (hours or days). */
export interface AmountCountSeries {
  /** The x axis labels. */
  categories: string[];
  /** Amounts in minor units (fen): shown in yuan. */
  amountsMinor: number[];
  counts: number[];
  names: {
    /** The amount series' legend name, e.g. 成功金额（元）. */
    amount: string;
    /** The count series' legend name, e.g. 成功笔数. */
    count: string;
    /** The left (amount) and right (count) axis names. */
    yAmount: string;
    yCount: string;
  };
  /** A tooltip value of the amount series (minor units), e.g. yuan(). */
  formatAmount: (minor: number) => string;
}

export const AMOUNT_COLOR = '#1677ff';
export const COUNT_COLOR = '#13c2c2';

/**
 * The consoles' trend chart: counts as bars on the right axis (whole numbers: orders are not
 * smoothed into fractions), amounts as a plain line on the left axis in yuan. Each axis has its own
 * name at its own end and its labels on its own side, the legend sits below the plot, and only the
 * amount axis draws grid lines, so no label sits on another.
 */
export function amountCountOption(s: AmountCountSeries): ChartOption {
  return {
    color: [COUNT_COLOR, AMOUNT_COLOR],
    grid: { left: 12, right: 12, top: 36, bottom: 36, containLabel: true },
    legend: { bottom: 0, data: [s.names.count, s.names.amount] },
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      formatter: (params) => {
        const list = Array.isArray(params) ? params : [params];
        const head = list[0]?.name ?? '';
        const lines = list.map((p) => {
          const v = Number(p.value ?? 0);
          const shown = p.seriesName === s.names.amount ? s.formatAmount(Math.round(v * 100)) : String(v);
          return `${p.marker ?? ''} ${p.seriesName}: <b>${shown}</b>`;
        });
        return [head, ...lines].join('<br/>');
      },
    },
    xAxis: [{ type: 'category', data: s.categories, axisTick: { alignWithLabel: true } }],
    yAxis: [
      {
        type: 'value',
        name: s.names.yAmount,
        position: 'left',
        nameTextStyle: { align: 'left' },
        axisLabel: { formatter: (v: number) => compactNumber(v) },
        splitLine: { lineStyle: { type: 'dashed' } },
      },
      {
        type: 'value',
        name: s.names.yCount,
        position: 'right',
        // Whole orders only: no 0.2-order ticks.
        minInterval: 1,
        nameTextStyle: { align: 'right' },
        axisLabel: { formatter: (v: number) => compactNumber(v) },
        splitLine: { show: false },
      },
    ],
    series: [
      {
        name: s.names.count,
        type: 'bar',
        yAxisIndex: 1,
        barMaxWidth: 18,
        itemStyle: { borderRadius: [3, 3, 0, 0], opacity: 0.85 },
        data: s.counts,
      },
      {
        name: s.names.amount,
        type: 'line',
        yAxisIndex: 0,
        smooth: false,
        showSymbol: false,
        lineStyle: { width: 2 },
        data: s.amountsMinor.map((m) => m / 100),
      },
    ],
  };
}

/** Axis labels: 950, 1.2k, 35k, 1.5M. */
export function compactNumber(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1_000_000) return `${(value / 1_000_000).toFixed(abs >= 10_000_000 ? 0 : 1)}M`;
  if (abs >= 1_000) return `${(value / 1_000).toFixed(abs >= 10_000 ? 0 : 1)}k`;
  return String(value);
}

/** One measure of a daily trend chart. */
export interface TrendSeries {
  name: string;
  values: number[];
  /** Counts are bars (whole orders); amounts are plain lines. */
  kind: 'bar' | 'line';
  color?: string;
}

/**
 * A trend over days on one value axis: either amounts (minor units in, yuan drawn, the tooltip
 * through `formatAmount`) or counts (bars, whole numbers only). The legend under the plot turns
 * series off and on; a long range zooms out by thinning the labels, never by smoothing.
 */
export function trendOption(s: {
  categories: string[];
  series: TrendSeries[];
  /** The value axis' name, e.g. 金额（元）or 笔数. */
  yName: string;
  /** Amounts: given minor units, shown as yuan. Absent: counts. */
  formatAmount?: (minor: number) => string;
}): ChartOption {
  const money = s.formatAmount;
  return {
    color: s.series.map((x, i) => x.color ?? [AMOUNT_COLOR, '#fa8c16', '#52c41a', '#722ed1'][i % 4]!),
    grid: { left: 12, right: 16, top: 36, bottom: 36, containLabel: true },
    legend: { bottom: 0, data: s.series.map((x) => x.name) },
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: s.series.every((x) => x.kind === 'bar') ? 'shadow' : 'line' },
      formatter: (params) => {
        const list = Array.isArray(params) ? params : [params];
        const head = list[0]?.name ?? '';
        const lines = list.map((p) => {
          const v = Number(p.value ?? 0);
          const shown = money ? money(Math.round(v * 100)) : String(v);
          return `${p.marker ?? ''} ${p.seriesName}: <b>${shown}</b>`;
        });
        return [head, ...lines].join('<br/>');
      },
    },
    xAxis: [{ type: 'category', data: s.categories, axisTick: { alignWithLabel: true } }],
    yAxis: [
      {
        type: 'value',
        name: s.yName,
        position: 'left',
        nameTextStyle: { align: 'left' },
        ...(money ? {} : { minInterval: 1 }),
        axisLabel: { formatter: (v: number) => compactNumber(v) },
        splitLine: { lineStyle: { type: 'dashed' } },
      },
    ],
    series: s.series.map((x) =>
      x.kind === 'bar'
        ? {
            name: x.name,
            type: 'bar' as const,
            barMaxWidth: 14,
            itemStyle: { borderRadius: [2, 2, 0, 0], opacity: 0.85 },
            data: money ? x.values.map((m) => m / 100) : x.values,
          }
        : {
            name: x.name,
            type: 'line' as const,
            smooth: false,
            showSymbol: false,
            lineStyle: { width: 2 },
            data: money ? x.values.map((m) => m / 100) : x.values,
          },
    ),
  };
}
