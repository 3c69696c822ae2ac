import { Grid } from 'antd';

/** A page's subtitle on wide screens only: on a phone the title needs the whole line. */
export function useSubtitle(text: string): string | undefined {
  const screens = Grid.useBreakpoint();
  return screens.md ? text : undefined;
}
