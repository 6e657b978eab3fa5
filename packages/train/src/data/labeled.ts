/**
 * Which training slices carry labels in a semi-supervised run. All slices keep their label maps in
 * memory; the trainer must only read those of `labeled`.
 *
 * SSL4MIS (Luo et al.) labels the first N slices of `train_slices.list`, N taken from a table of
 * patients → slices ({@link ACDC_PATIENTS_TO_SLICES}, `patients_to_slices` in its train scripts); the
 * list is sorted by patient, so this is "the first k patients" up to how the slices fall.
 * Other data sets label whole cases: the first k distinct cases in training order, or named cases.
 */
import type { TrainingSlice } from './types.js';
import { McscError } from '@mcsc/graph';

/** SSL4MIS `patients_to_slices` for ACDC: labeled patients → number of leading slices of `train_slices.list`. */
export const ACDC_PATIENTS_TO_SLICES: Readonly<Record<number, number>> = Object.freeze({
  1: 23,
  3: 68,
  7: 136,
  14: 256,
  21: 396,
  28: 512,
  35: 664,
  140: 1312,
});

/** The SSL4MIS slice count for `patients` labeled ACDC patients. */
export function acdcLabeledSliceCount(patients: number): number {
  const n = ACDC_PATIENTS_TO_SLICES[patients];
  if (n === undefined) {
    throw new McscError(
      'acdcLabeledSliceCount',
      `patients must be one of ${Object.keys(ACDC_PATIENTS_TO_SLICES).join(', ')} (the SSL4MIS table), got ${patients}; use { patients } selection for other counts`,
    );
  }
  return n;
}

/**
 * How to choose the labeled slices:
 * - `{ slices: n }`: the first n slices in training order (SSL4MIS; pair with {@link acdcLabeledSliceCount});
 * - `{ patients: k }`: every slice of the first k distinct `caseId`s in training order;
 * - `{ cases: [...] }`: every slice of the named cases.
 */
export type LabeledSelection = { readonly slices: number } | { readonly patients: number } | { readonly cases: readonly string[] };

/** Indices into the training slices. */
export interface LabeledSplit {
  readonly labeled: readonly number[];
  readonly unlabeled: readonly number[];
  /** Distinct cases with at least one labeled slice, in training order. */
  readonly labeledCases: readonly string[];
}

/** Splits training slices into labeled and unlabeled index lists. */
export function selectLabeled(train: readonly TrainingSlice[], selection: LabeledSelection): LabeledSplit {
  const fn = 'selectLabeled';
  const caseOrder = [...new Set(train.map((s) => s.caseId))];
  let isLabeled: (s: TrainingSlice, i: number) => boolean;
  if ('slices' in selection) {
    const n = selection.slices;
    if (!Number.isInteger(n) || n < 0 || n > train.length) {
      throw new McscError(fn, `slices must be an integer in 0 … ${train.length} (the training slices), got ${n}`);
    }
    isLabeled = (_, i) => i < n;
  } else if ('patients' in selection) {
    const k = selection.patients;
    if (!Number.isInteger(k) || k < 0 || k > caseOrder.length) {
      throw new McscError(fn, `patients must be an integer in 0 … ${caseOrder.length} (the training cases), got ${k}`);
    }
    const chosen = new Set(caseOrder.slice(0, k));
    isLabeled = (s) => chosen.has(s.caseId);
  } else {
    const known = new Set(caseOrder);
    const unknown = selection.cases.filter((c) => !known.has(c));
    if (unknown.length > 0) {
      throw new McscError(
        fn,
        `cases ${JSON.stringify(unknown)} are not training cases (known: ${caseOrder.slice(0, 10).join(', ')}${caseOrder.length > 10 ? ', …' : ''})`,
      );
    }
    const chosen = new Set(selection.cases);
    isLabeled = (s) => chosen.has(s.caseId);
  }
  const labeled: number[] = [];
  const unlabeled: number[] = [];
  train.forEach((s, i) => (isLabeled(s, i) ? labeled : unlabeled).push(i));
  const labeledCases = [...new Set(labeled.map((i) => train[i]!.caseId))];
  return { labeled, unlabeled, labeledCases };
}
