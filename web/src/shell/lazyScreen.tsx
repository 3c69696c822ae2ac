import { Spin } from 'antd';
import { type ComponentType, lazy, type ReactNode, Suspense } from 'react';
import { matchPath } from 'react-router';

/** A screen's chunk and the route it answers (an area's screens.ts lists them). */
export interface ScreenChunk<M> {
  route: string;
  load: () => Promise<M>;
}

/**
 * A screen loaded when it is first opened: each screen is its own chunk, so the order list does not
 * download the dashboard's charts, and the login page none of the consoles.
 * `lazyScreen(OPERATOR_SCREENS.OrdersPage, 'OrdersPage')`.
 */
export function lazyScreen<M, K extends keyof M>(screen: ScreenChunk<M>, name: K) {
  // biome-ignore lint/suspicious/noExplicitAny: a screen's props are whatever its module declares.
  return lazy(() => screen.load().then((m) => ({ default: m[name] as ComponentType<any> })));
}

/**
 * Starts loading the screen the page was opened at, so its code arrives alongside its area's layout
 * instead of after the layout has rendered (the module system loads each chunk once).
 */
export function prefetchOpenedScreen(screens: Record<string, ScreenChunk<unknown>>): void {
  const path = window.location.pathname;
  const opened = Object.values(screens).find((s) => matchPath({ path: s.route, end: true }, path));
  opened?.load().catch(() => undefined);
}

/** Where a lazily loaded screen renders: the layout stays, the content area spins while it loads. */
export function ScreenSuspense({ children }: { children: ReactNode }) {
  return (
    <Suspense
      fallback={
        <div className="qy-full-center" style={{ minHeight: 240 }}>
          <Spin size="large" />
        </div>
      }
    >
      {children}
    </Suspense>
  );
}
