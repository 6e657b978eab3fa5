// @mcsc/core's main API on cases small enough to compute by hand; run from core.mjs (ESM build) and
// core.cjs (CJS build) so both builds are exercised with the same expectations.
'use strict';
const { assert, near } = require('./lib.cjs');

module.exports = function checkCore(core, ndarray, otherMcscError) {
  // Two 2×2 squares in a 5×5 slice, the prediction one column left of the truth:
  // |P ∩ G| = 2, |P| = |G| = 4 → Dice 0.5, Jaccard 1/3. Every voxel is on the surface; the column not
  // shared is 1 voxel from the other mask: distances P→G {1,1,0,0}, G→P {0,0,1,1} → HD95 1, ASD 0.5;
  // with spacing [2, 3] (rows, columns) the column step is 3 mm → HD95 3.
  const mask = (cols) => {
    const m = ndarray(new Uint8Array(25), [5, 5]);
    for (const r of [1, 2]) for (const c of cols) m.set(r, c, 1);
    return m;
  };
  const pred = mask([1, 2]);
  const gt = mask([2, 3]);
  const d = core.dice(pred, gt);
  near(d, 0.5, 1e-12, 'dice');
  near(core.jaccard(pred, gt), 1 / 3, 1e-12, 'jaccard');
  const h = core.hd95(pred, gt);
  near(h, 1, 1e-12, 'hd95');
  near(core.asd(pred, gt), 0.5, 1e-12, 'asd');
  near(core.hd95(pred, gt, [2, 3]), 3, 1e-12, 'hd95 with spacing [2, 3]');

  // supConLoss, τ = 1: f0 = f1 = [1, 0] (class 0), f2 = [0, 1] (class 1). n0 = 2, n1 = 1; s01 = 1, s02 = s12 = 0.
  // D0 = D1 = e¹/(n0 − 1) + e⁰/n1 = e + 1; ℓ0 = ℓ1 = −(1 − log(e + 1 + 1e-6))/(1 + 1e-6); f2 has no positive: ℓ2 = 0.
  const features = ndarray(new Float64Array([1, 0, 1, 0, 0, 1]), [3, 2]);
  const loss = core.supConLoss(features, [0, 0, 1], { temperature: 1 });
  const expected = ((2 / 3) * (Math.log(Math.E + 1 + 1e-6) - 1)) / (1 + 1e-6);
  near(loss, expected, 1e-9, 'supConLoss');
  // Bad input: the project's error type, `<where>: <problem>`; when `otherMcscError` is given (core.mjs,
  // core.cjs), also against the other build's copy of the class (the CJS build from ESM, or the ESM build
  // from CJS).
  let caught;
  try {
    core.dice(ndarray(new Uint8Array(4), [2, 2]), ndarray(new Uint8Array(6), [2, 3]));
  } catch (e) {
    caught = e;
  }
  assert(caught instanceof core.McscError, `dice with mismatched shapes threw ${caught}, expected an McscError`);
  if (otherMcscError !== undefined) {
    assert(caught instanceof otherMcscError && otherMcscError !== core.McscError, 'McscError of the other build is not recognised');
  }
  assert(caught.where === 'dice' && caught.message === 'dice: gt.shape must equal pred.shape [2,2], got [2, 3]', caught.message);
  return `dice ${d}, hd95 ${h}, supConLoss ${loss.toFixed(6)} (expected ${expected.toFixed(6)}); bad input: McscError "${caught.message}"`;
};
