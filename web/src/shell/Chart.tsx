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

  return (
    <div
      ref={ref}
      role="img"
      aria-label={ariaLabel}
      className={className}
      style={{ width: '100%', height, ...style }}
    />
  );
}
