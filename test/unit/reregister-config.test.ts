import { jobConfig } from '../../shared/reregister/config';

const base = {
  PUBLIC_BASE_URL: 'https://abc.execute-api.us-east-1.amazonaws.com',
  REGISTRATIONS: '[{"account":"0212312345-00001","services":["Diagnostics","CarrierService"]}]',
};

describe('jobConfig', () => {
  it('reads the registrations and the defaults', () => {
    expect(jobConfig(base)).toEqual({
      registrations: [{ account: '0212312345-00001', services: ['Diagnostics', 'CarrierService'] }],
      thingspaceBaseUrl: 'https://thingspace.verizon.com',
      publicBaseUrl: base.PUBLIC_BASE_URL,
      graceMs: 3_600_000,
      maxAgeMs: 30 * 86_400_000,
      tokenHeader: 'x-callback-token',
      loginFailureLimit: 3,
      loginBackoffMs: 50 * 60_000,
    });
  });

  it.each([
    [{ REGISTRATIONS: 'not json' }, /must be JSON/],
    [{ REGISTRATIONS: '[{"account":"../x","services":["Diagnostics"]}]' }, /REGISTRATIONS must be/],
    [{ REGISTRATIONS: '[{"account":"a","services":[]}]' }, /REGISTRATIONS must be/],
    // One account twice would rotate its one connectivity secret for each entry's services alone.
    [{ REGISTRATIONS: '[{"account":"a","services":["CarrierService"]},{"account":"a","services":["DeviceUsage"],"api":"soap"}]' }, /each account at most once/],
    [{ PUBLIC_BASE_URL: '' }, /PUBLIC_BASE_URL/],
    [{ PUBLIC_BASE_URL: 'ftp://x' }, /PUBLIC_BASE_URL must be an http/],
    [{ THINGSPACE_BASE_URL: 'nope' }, /THINGSPACE_BASE_URL/],
    [{ LOGIN_FAILURE_LIMIT: '5' }, /LOGIN_FAILURE_LIMIT/], // five would let ThingSpace lock the account
  ])('refuses %j at init', (over, message) => {
    expect(() => jobConfig({ ...base, ...over })).toThrow(message);
  });
});
