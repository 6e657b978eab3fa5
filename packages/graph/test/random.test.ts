import { Random } from '../src/index';

describe('Random (xoshiro128**, SplitMix32 seeding)', () => {
  test('the stream of seed 1337 (values from an independent Python port of the published algorithm)', () => {
    const r = new Random(1337);
    expect(Array.from({ length: 5 }, () => r.nextUint32())).toEqual([3850783360, 2344901440, 1788140607, 2770358602, 3113703425]);
  });

  test('fillUint32 is the same stream as nextUint32 and leaves the same state', () => {
    const a = new Random(7);
    const b = new Random(7);
    const filled = a.fillUint32(new Uint32Array(1000));
    const looped = Uint32Array.from({ length: 1000 }, () => b.nextUint32());
    expect(filled).toEqual(looped);
    expect(a.getState()).toEqual(b.getState());
    expect(a.nextUint32()).toBe(b.nextUint32());
  });

  test('fillBernoulli draws the same stream as fillUint32 and keeps exactly u < keep·2³²', () => {
    for (const keep of [0, 0.05, 0.5, 0.95, 1, 2 ** -32, 1 - 2 ** -32]) {
      const a = new Random(11);
      const b = new Random(11);
      const mask = a.fillBernoulli(new Float32Array(5000), keep);
      const bits = b.fillUint32(new Uint32Array(5000));
      expect(Array.from(mask)).toEqual(Array.from(bits, (u) => (u < keep * 4294967296 ? 1 : 0)));
      expect(a.getState()).toEqual(b.getState());
    }
    // the comparison's edge: a draw equal to the threshold is dropped, one below it kept
    const probe = new Random(5);
    const first = new Random(5).nextUint32();
    expect(probe.fillBernoulli(new Float32Array(1), first / 4294967296)[0]).toBe(0);
    expect(new Random(5).fillBernoulli(new Float32Array(1), (first + 1) / 4294967296)[0]).toBe(1);
  });

  test('a restored state continues the stream; forName separates purposes', () => {
    const r = new Random(3);
    r.uniform();
    const saved = r.getState();
    const next = [r.uniform(), r.uniform()];
    const again = new Random(0);
    again.setState(saved);
    expect([again.uniform(), again.uniform()]).toEqual(next);
    expect(Random.forName(1, 'dropout').nextUint32()).not.toBe(Random.forName(1, 'sampler').nextUint32());
    expect(() => again.setState([1, 2, 3])).toThrow(/four uint32 values/);
  });
});
