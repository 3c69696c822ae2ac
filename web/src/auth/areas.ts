import type { Area } from '../shell/session.tsx';

/** The areas one can log in to, in the order the picker shows them. */
export const AREAS: Area[] = ['operator', 'merchant', 'agent', 'member'];

/** `?area=` as an area; anything else is the operator console. */
export function parseArea(value: string | null): Area {
  return AREAS.includes(value as Area) ? (value as Area) : 'operator';
}
