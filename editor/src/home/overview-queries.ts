/** The home page's reads and its one action, through the API client. Query key `['overview']`. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Overview, TestLeadAnswer } from '../../../core/api.ts';
import { call } from '../api/client.ts';

const overviewKey = ['overview'] as const;

/** How often the home page reads the overview again while it is open: today's leads move on their own. */
const OVERVIEW_REFRESH_MS = 5_000;

export function useOverview() {
  return useQuery({ queryKey: overviewKey, queryFn: () => call<Overview>('GET', '/api/overview'), refetchInterval: OVERVIEW_REFRESH_MS });
}

/** Posts a sample lead as a source (its offers and webmaster apply); the overview is read again. */
export function useSendTestLead() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ source, offer }: { source: string; offer?: string }) =>
      call<TestLeadAnswer>('POST', `/api/sources/${encodeURIComponent(source)}/test-lead`, offer ? { offer } : {}),
    onSuccess: () => client.invalidateQueries({ queryKey: overviewKey }),
  });
}
