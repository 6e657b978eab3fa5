/**
 * The standard normal distribution function, for the normal approximation of rank tests.
 *
 * Φ(x) = erfc(−x/√2)/2 with erfc = 1 − erf, erf from its series of positive terms for |x| < 2
 * (Abramowitz & Stegun 7.1.6), and erfc from Laplace's continued fraction for x ≥ 2
 * (A&S 7.1.14, evaluated with the modified Lentz method), so tail probabilities keep their relative
 * precision instead of being 1 − (something close to 1).
 */

const SQRT_PI = Math.sqrt(Math.PI);

/** The complementary error function erfc(x) = 1 − erf(x). */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x < 2) {
    // erf(x) = 2/√π · e^{−x²} · Σ_{k≥0} 2^k x^{2k+1} / (1·3·…·(2k+1)): positive terms, no cancellation.
    const x2 = x * x;
    let term = x;
    let sum = x;
    for (let k = 1; k < 200; k++) {
      term *= (2 * x2) / (2 * k + 1);
      sum += term;
      if (term < 1e-17 * sum) break;
    }
    return 1 - (2 / SQRT_PI) * Math.exp(-x2) * sum;
  }
  if (x > 27) return 0; // below the smallest double
  // erfc(x) = exp(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + …))))), modified Lentz.
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let k = 1; k < 500; k++) {
    const a = k / 2;
    d = x + a * d;
    d = d === 0 ? tiny : d;
    c = x + a / c;
    c = c === 0 ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / SQRT_PI / f;
}

/** P(Z ≤ x) for a standard normal Z. */
export function normalCdf(x: number): number {
  return erfc(-x / Math.SQRT2) / 2;
}
