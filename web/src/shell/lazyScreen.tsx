import { Spin } from 'antd';
import { type ComponentType, lazy, type ReactNode, Suspense } from 'react';

/**
 * A screen loaded when it is first opened: each screen is its own chunk, so the order list does not
 * download the dashboard's charts, and the login page none of the consoles.
 * `lazyScreen(() => import('./pages/Orders.tsx'), 'OrdersPage')`.
 */
export function lazyScreen<M, K extends keyof M>(load: () => Promise<M>, name: K) {
  // biome-ignore lint/suspicious/noExplicitAny: a screen's props are whatever its module declares.
  return lazy(() => load().then((m) => ({ default: m[name] as ComponentType<any> })));
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
