import { allMoved, completeRotation, holdsPair, parseStoredSecret, planConnectivity, withMoved, type StoredSecret } from '../../shared/reregister/rotation';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const OLD = { username: 'gw-old', password: 'p-old' };
const NEW = { username: 'gw-new', password: 'p-new' };
const newPair = () => NEW;
const inPlace = (...services: string[]) => new Map(services.map((s) => [s, undefined]));

describe('stored secrets', () => {
  it('reads a secret written before pending existed exactly as before', () => {
    const value = JSON.stringify({
      current: OLD,
      previous: { username: 'a', password: 'b' },
      previousValidUntil: '2026-03-01T13:00:00.000Z',
      rotatedOn: '2026-02-01T00:00:00.000Z',
    });
    expect(parseStoredSecret('n', value)).toEqual(JSON.parse(value));
  });

  it('keeps pendingServices only beside a pending version, and treats a malformed secret as none', () => {
    expect(parseStoredSecret('n', JSON.stringify({ current: OLD, pendingServices: ['CarrierService'] }))).toEqual({ current: OLD });
    expect(parseStoredSecret('n', JSON.stringify({ current: OLD, pending: NEW, pendingServices: ['CarrierService'] }))).toMatchObject({
      pendingServices: ['CarrierService'],
    });
    expect(parseStoredSecret('n', JSON.stringify({ current: OLD, pending: NEW, pendingServices: 'CarrierService' }))?.pendingServices).toBeUndefined();
    expect(parseStoredSecret('n', '{"current":"x"}')).toBeUndefined();
  });
});

describe('planConnectivity', () => {
  const secret: StoredSecret = { current: OLD, rotatedOn: '2026-02-28T00:00:00.000Z' };

  it('registers nothing and writes nothing when every registration is in place', () => {
    const plan = planConnectivity(secret, inPlace('CarrierService', 'DeviceUsage'), false, newPair, NOW);
    expect(plan).toMatchObject({ register: new Map(), newPair: false });
    expect(plan.write).toBeUndefined();
  });

  it('registers only a drifted service, with the pair the others carry', () => {
    const drift = new Map([
      ['CarrierService', undefined],
      ['DeviceUsage', 'it was missing'],
    ]);
    const plan = planConnectivity(secret, drift, false, newPair, NOW);
    expect(plan).toMatchObject({ pair: OLD, newPair: false });
    expect(plan.write).toBeUndefined();
    expect([...plan.register]).toEqual([['DeviceUsage', 'it was missing']]);
  });

  it('starts a rotation past the maximum age: the new pair pending beside current, every service to move', () => {
    const plan = planConnectivity(secret, inPlace('CarrierService', 'DeviceUsage'), true, newPair, NOW);
    expect(plan.write).toEqual({ ...secret, pending: NEW, pendingServices: [] });
    expect(plan).toMatchObject({ pair: NEW, newPair: true });
    expect([...plan.register.keys()]).toEqual(['CarrierService', 'DeviceUsage']);
  });

  it('replaces a current that holds no pair at once (nothing can carry it), keeping a previous in its grace period', () => {
    const broken: StoredSecret = { current: { username: 'u' }, previous: OLD, previousValidUntil: '2026-03-01T13:00:00.000Z' };
    const plan = planConnectivity(broken, inPlace('CarrierService'), false, newPair, NOW);
    expect(plan.write).toEqual({ current: NEW, previous: OLD, previousValidUntil: '2026-03-01T13:00:00.000Z', rotatedOn: NOW.toISOString() });
    expect(plan.register.get('CarrierService')).toBe('credentials rotated (no credentials stored)');
  });

  it('finishes a rotation in progress with its pending pair: the services not on it yet, and any that drifted', () => {
    const rotating: StoredSecret = { ...secret, pending: NEW, pendingServices: ['CarrierService', 'DeviceUsage'] };
    const drift = new Map([
      ['CarrierService', undefined],
      ['DeviceUsage', 'it was missing'],
      ['NiddService', undefined],
    ]);
    const plan = planConnectivity(rotating, drift, true, () => ({ username: 'never', password: 'used' }), NOW);
    expect(plan).toMatchObject({ pair: NEW, newPair: true });
    expect(plan.write).toBeUndefined();
    expect([...plan.register.keys()]).toEqual(['DeviceUsage', 'NiddService']);
  });
});

describe('completing a rotation', () => {
  it('makes pending current only once every service carries it, the old pair valid for the grace period', () => {
    const rotating = withMoved({ current: OLD, pending: NEW, pendingServices: ['CarrierService'] }, ['DeviceUsage']);
    expect(allMoved(rotating, ['CarrierService', 'DeviceUsage', 'NiddService'])).toBe(false);
    expect(allMoved(rotating, ['CarrierService', 'DeviceUsage'])).toBe(true);
    expect(completeRotation(rotating, rotating.pending!, holdsPair(rotating.current), NOW, 60_000)).toEqual({
      current: NEW,
      previous: OLD,
      previousValidUntil: '2026-03-01T12:01:00.000Z',
      rotatedOn: NOW.toISOString(),
    });
  });
});
