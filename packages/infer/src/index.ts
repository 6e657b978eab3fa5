export * from './node/nifti.js';
