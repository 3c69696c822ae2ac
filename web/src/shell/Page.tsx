import { PageContainer, type PageContainerProps } from '@ant-design/pro-components';
import type { ReactNode } from 'react';

export interface PageProps extends Omit<PageContainerProps, 'title'> {
  /** The page's heading (an <h1>, so tests and screen readers find it). */
  title: ReactNode;
  children?: ReactNode;
}

/** Every console page: a PageContainer whose title is a real heading. */
export function Page({ title, children, ...rest }: PageProps) {
  return (
    <PageContainer title={<h1 className="qy-page-title">{title}</h1>} {...rest}>
      {children}
    </PageContainer>
  );
}
