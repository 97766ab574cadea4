import { api, seg, type ListResult } from '../api';
import { h } from '../dom';
import type { Registration } from '../model';
import { stamp } from '../time';
import { listSection } from './table';

/** The re-registration job's status of each ThingSpace callback service of the scope. */
export async function registrationsView(scope: string): Promise<HTMLElement> {
  const { items } = await api<ListResult<Registration>>(`${seg(scope)}/registrations`);
  return listSection(
    `Registrations of ${scope}`,
    'A service in ERROR means ThingSpace may have stopped calling: the job could not (re-)register the callback URL. ' +
      'Requests that did arrive but were refused are under Rejections.',
    'No registration status yet: the re-registration job has not run for this scope, or the scope is not in its configured accounts (README "Configure").',
    ['Service', 'Status', 'Endpoint', 'Last checked', 'Last changed', 'Last error'],
    items,
    (r) => [
      r.service ?? '',
      h('strong', { class: r.status === 'REGISTERED' ? 'ok' : 'bad' }, r.status ?? ''),
      h('code', {}, r.endpoint ?? ''),
      stamp(r.lastCheckedOn, true),
      stamp(r.lastChangedOn),
      // Failures in a row are counted for the account's login (`_login`) only.
      [r.lastError ?? (r.needsRegistration ? 'needs registration' : ''), r.consecutiveFailures ? `(${r.consecutiveFailures} failures in a row)` : '']
        .filter(Boolean)
        .join(' '),
    ],
  );
}
