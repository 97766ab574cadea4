import { api, seg, type ListResult } from '../api';
import { h, note, section } from '../dom';
import type { Registration } from '../model';
import { stamp } from '../time';
import { table } from './table';

/** The re-registration job's status of each ThingSpace callback service of the scope. */
export async function registrationsView(scope: string): Promise<HTMLElement> {
  const { items } = await api<ListResult<Registration>>(`${seg(scope)}/registrations`);
  const help = h(
    'p',
    { class: 'hint' },
    'A service in ERROR means ThingSpace may have stopped calling: the job could not (re-)register the callback URL. ' +
      'Requests that did arrive but were refused are under Rejections.',
  );
  if (items.length === 0) {
    return section(
      `Registrations of ${scope}`,
      help,
      note(
        'No registration status yet: the re-registration job has not run for this scope, or the scope is not in its configured accounts (README "Configure").',
      ),
    );
  }
  return section(
    `Registrations of ${scope}`,
    help,
    table(
      ['Service', 'Status', 'Endpoint', 'Last checked', 'Last changed', 'Last error'],
      items.map((r) => ({
        cells: [
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
      })),
    ),
  );
}
