/**
 * A seeded synthetic stand-in for ACDC: short-axis cine-MR-like stacks with labels 0 background,
 * 1 RV cavity, 2 LV myocardium, 3 LV cavity (papillary muscles included, as ACDC labels them).
 *
 * Anatomy (per patient, varying smoothly from base z = 0 to apex z = 1):
 * - LV cavity: an ellipse (size, eccentricity, orientation per patient) with an irregular, trabeculated
 *   border (harmonics 3–6 whose phases drift along z), shrinking towards the apex; with some patients the
 *   apical slice is a myocardial cap without cavity. Two papillary muscles (myocardium-dark, labelled LV)
 *   in mid slices.
 * - Myocardium: a ring around it, regionally thicker on one side and relatively thicker at the apex; on
 *   some patients the basal slice opens into the outflow tract (bright, labelled background).
 * - RV cavity: a crescent on one side (position, width, reach and tilt per patient) with a thin dark free
 *   wall that is not labelled; it narrows towards the apex and vanishes before it.
 * - Surroundings: body ellipse with a subcutaneous fat rim, lungs with bright vessels, spine, descending
 *   aorta, liver and stomach rising into apical slices, epicardial fat pads, an atrium beside the basal slice.
 * - Pose: rotation, translation and scale of the whole scene, of the heart within it, slice-to-slice
 *   drift along the oblique long axis, and small breath-hold misregistration between slices.
 * Appearance (see synthetic-mr.ts): per-patient tissue intensities with overlapping ranges, texture, bias
 * field, blur and Rician noise; each volume min–max scaled to 0 … 1.
 *
 * Patient i depends only on (seed, i, slicesPerPatient, size): asking for more patients adds patients.
 */
import { Random } from '@mcsc/core';
import { splitCases, type SplitCounts } from './split.js';
import { drawAppearance, renderMr, Tissue } from './synthetic-mr.js';
import { volumeSlices, type SegmentationDataset, type Volume } from './types.js';
import { McscError } from '@mcsc/graph';

// Math's functions as module constants: hot loops then avoid a global lookup per call, which is slow
// when code runs inside a vm context (as under jest).
const { PI, abs, atan2, cos, hypot, max, min, sin, sqrt } = Math;

export const SYNTHETIC_CARDIAC_CLASS_NAMES = Object.freeze(['background', 'RV', 'Myo', 'LV']);

export interface SyntheticCardiacOptions {
  readonly seed: number;
  readonly numPatients: number;
  /** A fixed slice count, or an inclusive range [min, max] drawn per patient (default [6, 10]). */
  readonly slicesPerPatient?: number | readonly [number, number];
  /** Slice size: n for n × n, or [H, W] (default 128). */
  readonly size?: number | readonly [number, number];
}

/** One synthetic patient: a short-axis stack, base first. */
export interface SyntheticPatient {
  /** `synth001`, `synth002`, … */
  readonly id: string;
  /** [D, H, W]. */
  readonly shape: readonly [number, number, number];
  /** Normalised to 0 … 1, `[D, H, W]`. */
  readonly image: Float32Array;
  /** 0 background, 1 RV, 2 myocardium, 3 LV, `[D, H, W]`. */
  readonly label: Uint8Array;
  /** Nominal millimetres along [D, H, W] (a 320 mm field of view; the stack spans 75 mm). */
  readonly spacing: readonly [number, number, number];
}

/** Generates `numPatients` patients. */
export function generateSyntheticCardiacDataset(options: SyntheticCardiacOptions): SyntheticPatient[] {
  const fn = 'generateSyntheticCardiacDataset';
  const { seed, numPatients, slicesPerPatient = [6, 10], size = 128 } = options;
  if (!Number.isInteger(numPatients) || numPatients < 1)
    throw new McscError(fn, `numPatients must be a positive integer, got ${numPatients}`);
  const [lo, hi] = typeof slicesPerPatient === 'number' ? [slicesPerPatient, slicesPerPatient] : slicesPerPatient;
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 2 || hi < lo) {
    throw new McscError(
      fn,
      `slicesPerPatient must be an integer ≥ 2 or a range [min, max] with 2 ≤ min ≤ max, got ${JSON.stringify(slicesPerPatient)}`,
    );
  }
  const [h, w] = typeof size === 'number' ? [size, size] : size;
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < 16 || w < 16) {
    throw new McscError(fn, `size must be an integer ≥ 16 or [H, W] of such, got ${JSON.stringify(size)}`);
  }
  const master = new Random(seed);
  const patients: SyntheticPatient[] = [];
  for (let i = 0; i < numPatients; i++) {
    const rng = master.fork();
    const d = rng.intRange(lo, hi + 1);
    patients.push(generatePatient(`synth${String(i + 1).padStart(3, '0')}`, d, h, w, rng));
  }
  return patients;
}

/**
 * The synthetic patients as a segmentation task, split by patient with {@link splitCases}
 * (`splitSeed`, default `seed`); training patients become slices, the others volumes.
 */
export function syntheticCardiacDataset(
  options: SyntheticCardiacOptions & { readonly split: SplitCounts; readonly splitSeed?: number },
): SegmentationDataset {
  const patients = generateSyntheticCardiacDataset(options);
  const byId = new Map(patients.map((p) => [p.id, p]));
  const split = splitCases(
    patients.map((p) => p.id),
    options.split,
    options.splitSeed ?? options.seed,
  );
  const volume = (id: string): Volume => {
    const p = byId.get(id)!;
    return { caseId: p.id, shape: p.shape, image: p.image, label: p.label, spacing: p.spacing };
  };
  return {
    name: 'synthetic-cardiac',
    numClasses: 4,
    classNames: SYNTHETIC_CARDIAC_CLASS_NAMES,
    classSource: 'generator',
    classOrigin: 'the synthetic generator',
    train: split.train.flatMap((id) => volumeSlices(volume(id))),
    val: split.val.map(volume),
    test: split.test.map(volume),
  };
}

/** Patient-level anatomy; lengths in units of half the field of view. */
interface Anatomy {
  pose: { angle: number; x: number; y: number; scale: number };
  body: {
    a: number;
    b: number;
    rim: number;
    lungScale: number;
    lungDy: number;
    liverStart: number;
    liverSide: number;
    stomachStart: number;
    spineY: number;
  };
  /** Pulmonary vessels: bright dots in the lungs, drifting across slices. */
  vessels: { x: number; y: number; r: number; dx: number; dy: number }[];
  heart: { x: number; y: number; driftX: number; driftY: number; angle: number; scale: number };
  lv: {
    a: number;
    b: number;
    psi: number;
    wall: number;
    wallDir: number;
    wallVar: number;
    trab: { amp: number; phase: number; drift: number }[];
    papDirs: [number, number];
    apexCap: boolean;
  };
  rv: { dir: number; width: number; spread: number; tilt: number; end: number; wall: number };
  fat: { dir: number; thick: number; spread: number };
  gap: { dir: number; width: number } | null;
  atrium: { dir: number; a: number; b: number } | null;
}

function drawAnatomy(rng: Random): Anatomy {
  const u = (lo: number, hi: number) => lo + (hi - lo) * rng.uniform();
  const sign = () => (rng.uniform() < 0.5 ? -1 : 1);
  const a = u(0.15, 0.21);
  const rvDir = PI + u(-0.35, 0.35);
  return {
    pose: { angle: u(-0.5, 0.5), x: u(-0.08, 0.08), y: u(-0.08, 0.08), scale: u(0.85, 1.2) },
    body: {
      a: u(0.8, 0.95),
      b: u(0.55, 0.7),
      rim: u(0.03, 0.08),
      lungScale: u(0.85, 1.15),
      lungDy: u(-0.05, 0.05),
      liverStart: u(0.35, 0.8),
      liverSide: rng.uniform() < 0.8 ? -1 : 1,
      stomachStart: rng.uniform() < 0.6 ? u(0.4, 0.8) : 2,
      spineY: u(0.45, 0.55),
    },
    vessels: Array.from({ length: rng.intRange(2, 7) }, () => ({
      x: sign() * 0.42 + u(-0.15, 0.15),
      y: -0.08 + u(-0.25, 0.25),
      r: u(0.015, 0.035),
      dx: u(-0.1, 0.1),
      dy: u(-0.1, 0.1),
    })),
    heart: {
      x: u(-0.05, 0.12),
      y: u(-0.12, 0.05),
      driftX: u(-0.08, 0.08),
      driftY: u(-0.08, 0.08),
      angle: u(-0.35, 0.35),
      scale: u(0.85, 1.2),
    },
    lv: {
      a,
      b: a * u(0.72, 1),
      psi: u(0, PI),
      wall: u(0.04, 0.07),
      wallDir: u(0, 2 * PI),
      wallVar: u(0, 0.3),
      trab: [0, 1, 2, 3].map((k) => ({ amp: u(0, 0.05) / sqrt(k + 1), phase: u(0, 2 * PI), drift: u(-1.5, 1.5) })),
      papDirs: [rvDir + PI + u(0.6, 1.1), rvDir + PI - u(0.6, 1.1)],
      apexCap: rng.uniform() < 0.4,
    },
    rv: { dir: rvDir, width: u(0.06, 0.14), spread: u(1, 1.5), tilt: u(-0.3, 0.3), end: u(0.65, 1), wall: u(0.012, 0.025) },
    fat: { dir: u(0, 2 * PI), thick: u(0.02, 0.08), spread: u(1, 4) },
    gap: rng.uniform() < 0.5 ? { dir: rvDir + sign() * u(0.6, 1.4), width: u(0.5, 1.1) } : null,
    atrium: rng.uniform() < 0.5 ? { dir: rvDir + sign() * (PI / 2) + u(-0.4, 0.4), a: u(0.07, 0.12), b: u(0.05, 0.09) } : null,
  };
}

function generatePatient(id: string, d: number, h: number, w: number, rng: Random): SyntheticPatient {
  const anatomy = drawAnatomy(rng);
  const appearance = drawAppearance(rng);
  const n = h * w;
  const tissue = new Uint8Array(d * n);
  for (let s = 0; s < d; s++) {
    const jitter: [number, number] = [rng.normal() * 0.012, rng.normal() * 0.012];
    rasterSlice(anatomy, s / (d - 1), s === 0, s === d - 1, jitter, h, w, tissue.subarray(s * n, (s + 1) * n));
  }
  const label = new Uint8Array(d * n);
  for (let i = 0; i < label.length; i++) {
    const t = tissue[i]!;
    label[i] = t === Tissue.RV_BLOOD ? 1 : t === Tissue.MYO ? 2 : t === Tissue.LV_BLOOD || t === Tissue.PAPILLARY ? 3 : 0;
  }
  const image = renderMr(tissue, [d, h, w], appearance, rng);
  const inPlane = 320 / min(h, w);
  return { id, shape: [d, h, w], image, label, spacing: [75 / (d - 1), inPlane, inPlane] };
}

const inEllipse = (x: number, y: number, cx: number, cy: number, a: number, b: number) => ((x - cx) / a) ** 2 + ((y - cy) / b) ** 2 < 1;

function angleDiff(a: number, b: number): number {
  const d = abs(a - b) % (2 * PI);
  return d > PI ? 2 * PI - d : d;
}

/** Draws one slice's tissue map (z = 0 base … 1 apex) into `out` [h, w]. */
function rasterSlice(
  A: Anatomy,
  z: number,
  first: boolean,
  last: boolean,
  jitter: readonly [number, number],
  h: number,
  w: number,
  out: Uint8Array,
): void {
  const half = min(h, w) / 2;
  const { pose, body, heart, lv, rv, fat } = A;
  const [cp, sp] = [cos(pose.angle), sin(pose.angle)];
  const [ch, sh] = [cos(heart.angle), sin(heart.angle)];
  const hx0 = heart.x + heart.driftX * z + jitter[0];
  const hy0 = heart.y + heart.driftY * z + jitter[1];
  const shrink = 1 - 0.7 * z ** 1.8;
  const cavity = last && lv.apexCap ? 0 : shrink;
  const wallZ = 1 + 0.3 * z;
  const meanEpi = ((lv.a + lv.b) / 2) * shrink + lv.wall * wallZ;
  const rvScale = 1 - (z / rv.end) ** 2;
  const rvA = 0.45 * meanEpi + rv.width * rvScale;
  const rvB = meanEpi * rv.spread * (0.55 + 0.45 * rvScale);
  const [rvCx, rvCy] = [0.55 * meanEpi * cos(rv.dir), 0.55 * meanEpi * sin(rv.dir)];
  const [cr, sr] = [cos(rv.dir + rv.tilt), sin(rv.dir + rv.tilt)];
  const lungs = body.lungScale * (1 - 0.35 * z);
  const liver = z > body.liverStart ? sqrt((z - body.liverStart) / (1 - body.liverStart)) : 0;
  const stomach = z > body.stomachStart ? sqrt((z - body.stomachStart) / (1 - body.stomachStart)) : 0;
  const ellR = (phi: number) => {
    const c = cos(phi - lv.psi);
    const s = sin(phi - lv.psi);
    return (lv.a * lv.b) / sqrt((lv.b * c) ** 2 + (lv.a * s) ** 2);
  };
  const papillary =
    z > 0.15 && z < 0.85 && cavity > 0
      ? lv.papDirs.map((dir) => {
          const r = ellR(dir) * cavity;
          return { x: 0.62 * r * cos(dir), y: 0.62 * r * sin(dir), r: 0.22 * r };
        })
      : [];

  for (let row = 0; row < h; row++) {
    for (let col = 0; col < w; col++) {
      const x = (col - (w - 1) / 2) / half - pose.x;
      const y = (row - (h - 1) / 2) / half - pose.y;
      // scanner → body frame
      const bx = (cp * x + sp * y) / pose.scale;
      const by = (-sp * x + cp * y) / pose.scale;
      let t: number = Tissue.AIR;
      if (inEllipse(bx, by, 0, 0, body.a, body.b)) {
        t = inEllipse(bx, by, 0, 0, body.a - body.rim, body.b - body.rim) ? Tissue.MUSCLE : Tissue.FAT;
        if (t === Tissue.MUSCLE) {
          for (const side of [-1, 1]) {
            if (inEllipse(bx, by, side * 0.42, -0.08 + body.lungDy, 0.27 * lungs, 0.36 * lungs)) t = Tissue.LUNG;
          }
          if (t === Tissue.LUNG) {
            for (const v of A.vessels) if (inEllipse(bx, by, v.x + v.dx * z, v.y + v.dy * z, v.r, v.r)) t = Tissue.VESSEL;
          }
          if (liver > 0 && inEllipse(bx, by, body.liverSide * 0.35, 0.3, 0.5 * liver, 0.35 * liver)) t = Tissue.LIVER;
          if (stomach > 0 && inEllipse(bx, by, -body.liverSide * 0.4, 0.22, 0.18 * stomach, 0.14 * stomach)) t = Tissue.STOMACH;
          if (inEllipse(bx, by, 0, body.spineY, 0.09, 0.09)) t = Tissue.SPINE;
          if (inEllipse(bx, by, 0.13 * body.liverSide * -1, body.spineY - 0.13, 0.055, 0.055)) t = Tissue.VESSEL;
        }
      }
      // body → heart frame
      const dx = (bx - hx0) / heart.scale;
      const dy = (by - hy0) / heart.scale;
      const hx = ch * dx + sh * dy;
      const hy = -sh * dx + ch * dy;
      const rr = hypot(hx, hy);
      if (rr < 3 * meanEpi + rv.width && t !== Tissue.AIR) {
        const phi = atan2(hy, hx);
        const base = ellR(phi);
        let trab = 0;
        lv.trab.forEach((k, i) => {
          trab += k.amp * (0.5 + z) * cos((i + 3) * phi + k.phase + k.drift * z);
        });
        const wall = lv.wall * (1 + lv.wallVar * cos(phi - lv.wallDir)) * wallZ;
        const epi = base * cavity + wall;
        const endo = min(base * cavity * (1 + trab), epi - 0.4 * wall);
        const fatThick = fat.thick * max(0, cos(phi - fat.dir)) ** fat.spread;
        if (rr < epi + fatThick) t = Tissue.FAT;
        if (first && A.atrium) {
          const { dir, a, b } = A.atrium;
          if (inEllipse(hx, hy, 1.3 * meanEpi * cos(dir), 1.3 * meanEpi * sin(dir), a, b)) t = Tissue.VESSEL;
        }
        if (rvScale > 0.12 && rr >= epi) {
          const ux = hx - rvCx;
          const uy = hy - rvCy;
          const along = cr * ux + sr * uy;
          const across = -sr * ux + cr * uy;
          if ((along / rvA) ** 2 + (across / rvB) ** 2 < 1) t = Tissue.RV_BLOOD;
          else if ((along / (rvA + rv.wall)) ** 2 + (across / (rvB + rv.wall)) ** 2 < 1) t = Tissue.RV_WALL;
        }
        if (rr < epi) {
          t = Tissue.MYO;
          if (first && A.gap && rr >= endo && angleDiff(phi, A.gap.dir) < A.gap.width / 2) t = Tissue.VESSEL;
        }
        if (rr < endo) {
          t = Tissue.LV_BLOOD;
          for (const p of papillary) if (hypot(hx - p.x, hy - p.y) < p.r) t = Tissue.PAPILLARY;
        }
      }
      out[row * w + col] = t;
    }
  }
}
