/** Statistics for comparing methods: mean ± sd only where it exists, bootstrap intervals, a paired rank test. */
export { meanSd, type SampleSummary } from './summary.js';
export { bootstrapMeanCi, type BootstrapInterval, type BootstrapOptions } from './bootstrap.js';
export { wilcoxonSignedRank, type WilcoxonMethod, type WilcoxonOptions, type WilcoxonResult } from './wilcoxon.js';
export { erfc, normalCdf } from './normal.js';
