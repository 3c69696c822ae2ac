import type { AgentView, RateTerms } from '../shell/agents.tsx';
import { useApi } from '../shell/useApi.ts';

/** The agent this login acts for, with its own rates and how deep the tree may go. */
export interface AgentMe extends AgentView {
  rates: RateTerms[];
  maxDepth: number;
}

export function useAgentMe() {
  return useApi<AgentMe>('/api/agent/me');
}

/** The products an agent may give rates for below it: those it has a rate for itself. */
export function productsOf(rates: RateTerms[] | undefined) {
  return (rates ?? []).map((r) => ({ code: r.productCode, name: r.productName || r.productCode }));
}
