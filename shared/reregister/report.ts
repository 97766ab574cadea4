import type { Change, JobContext } from './context';
import type { RegistrationStatus } from './status';

/** What a run did for one account: the changes it returns and the status record of each service. */
export class AccountReport {
  readonly changes: Change[] = [];

  constructor(
    private readonly ctx: JobContext,
    readonly account: string,
  ) {}

  /** A failed service: an `error` change, and its status keeps what it had plus the error. */
  async fail(service: string, detail: string, extra: Partial<RegistrationStatus> = {}): Promise<void> {
    const { account } = this;
    this.changes.push({ account, service, action: 'error', detail });
    const previous = await this.ctx.deps.status.get(account, service);
    await this.ctx.deps.status.put({ ...previous, account, service, state: 'error', lastCheckedOn: this.ctx.now().toISOString(), lastError: detail, ...extra });
  }

  async failAll(services: string[], detail: string): Promise<void> {
    for (const service of services) await this.fail(service, detail);
  }

  /** Services left alone this run (no status write). */
  skipAll(services: string[], detail: string): void {
    this.changes.push(...services.map((service) => ({ account: this.account, service, action: 'skipped' as const, detail })));
  }

  async unchanged(service: string, url: string, status: RegistrationStatus | undefined): Promise<void> {
    const { account } = this;
    this.changes.push({ account, service, action: 'unchanged' });
    await this.ctx.deps.status.put({
      ...status,
      account,
      service,
      endpoint: url,
      state: 'registered',
      lastCheckedOn: this.ctx.now().toISOString(),
      lastError: undefined,
      needsRegistration: undefined,
    });
  }

  async changed(service: string, url: string, action: 'registered' | 'rotated', detail: string): Promise<void> {
    const { account } = this;
    this.changes.push({ account, service, action, detail });
    const at = this.ctx.now().toISOString();
    await this.ctx.deps.status.put({ account, service, endpoint: url, state: 'registered', lastCheckedOn: at, lastChangedOn: at });
  }
}
