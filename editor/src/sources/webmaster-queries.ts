/**
 * Webmasters (their postback URLs) and test postbacks, through the API client: kept beside the
 * screen that uses them. Query key `['webmasters']`.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Webmaster } from '../../../core/domain/config.ts';
import type { TestPostbackAnswer, TestPostbackRequest } from '../../../core/api.ts';
import { call } from '../api/client.ts';

const webmastersKey = ['webmasters'] as const;
const path = (id: string) => `/api/webmasters/${encodeURIComponent(id)}`;

export function useWebmasters() {
  return useQuery({
    queryKey: webmastersKey,
    queryFn: () => call<{ webmasters: Webmaster[] }>('GET', '/api/webmasters').then((a) => a.webmasters),
  });
}

/** Creates (`isNew`: refused when the id exists) or replaces a webmaster. */
export function useSaveWebmaster() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ webmaster, isNew }: { webmaster: Webmaster; isNew: boolean }) =>
      isNew ? call<Webmaster>('POST', '/api/webmasters', webmaster) : call<Webmaster>('PUT', path(webmaster.id), webmaster),
    onSuccess: () => client.invalidateQueries({ queryKey: webmastersKey }),
  });
}

export function useDeleteWebmaster() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => call<void>('DELETE', path(id)),
    onSuccess: () => client.invalidateQueries({ queryKey: webmastersKey }),
  });
}

/** Sends a postback for a sample lead to the tracker (really) and answers what it said. */
export function useTestPostback() {
  return useMutation({
    mutationFn: ({ id, ...request }: TestPostbackRequest & { id: string }) =>
      call<TestPostbackAnswer>('POST', `${path(id)}/test-postback`, request),
  });
}
