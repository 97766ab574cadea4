import { checkSource, ForbiddenSourceError, sourceAllowList } from '../../shared/http/source';

describe('source allow-list', () => {
  // ThingSpace's published callback sources (PROVIDERS.md §1.3) and a range.
  const list = sourceAllowList('3.87.163.45, 54.197.62.209,68.128.212.0/24, 2001:db8::/32');

  it('allows the listed addresses and ranges, IPv4 and IPv6', () => {
    for (const ip of ['3.87.163.45', '54.197.62.209', '68.128.212.217', '2001:db8::1']) expect(() => checkSource(list, ip)).not.toThrow();
  });
  it('refuses everything else with a 403, malformed and missing sources included', () => {
    for (const ip of ['3.87.163.46', '68.128.213.1', '127.0.0.1', '2001:db9::1', 'not-an-ip', '', undefined]) {
      expect(() => checkSource(list, ip)).toThrow(ForbiddenSourceError);
    }
  });
  it('allows everything when unset', () => {
    expect(sourceAllowList(undefined)).toBeUndefined();
    expect(sourceAllowList(' , ')).toBeUndefined();
    expect(() => checkSource(undefined, '198.51.100.7')).not.toThrow();
  });
  it.each(['3.87.163', '10.0.0.0/33', 'example.com', '::1/129'])('refuses a malformed entry %s at init', (entry) => {
    expect(() => sourceAllowList(entry)).toThrow(/ALLOWED_SOURCE_IPS/);
  });
});
