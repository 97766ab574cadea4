import { api, seg, type ListResult } from '../api';
import { h } from '../dom';
import type { Rejection } from '../model';
import { stamp } from '../time';
import { listSection } from './table';

/** Requests the webhooks refused for the scope, newest first, each with its reason. */
export async function rejectionsView(scope: string): Promise<HTMLElement> {
  const { items } = await api<ListResult<Rejection>>(`${seg(scope)}/rejections`);
  return listSection(
    `Rejections of ${scope}`,
    'A row here means the provider does call, but the gateway refused the request: a wrong key or password (401) usually means the secret differs from what the provider signs with. ' +
      'No rows and no new events means the provider stopped calling: look at the registrations.',
    'No rejected request recorded for this scope.',
    ['Received', 'Channel', 'Status', 'Reason', 'Source', 'Body bytes'],
    items,
    (r) => [
      stamp(r.receivedOn, true),
      `${r.provider ?? ''} ${r.channel ?? ''}`.trim(),
      h('strong', { class: 'bad' }, `${r.httpStatus ?? ''} ${r.errorCode ?? ''}`.trim()),
      r.reason ?? '',
      `${r.sourceIp ?? ''}${r.fromPublishedSource === false ? ' (not a published provider address)' : ''}`,
      String(r.bodyBytes ?? ''),
    ],
  );
}
