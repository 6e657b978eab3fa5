// The seeded generator lives in @mcsc/graph (the training runtime draws dropout masks with it);
// @mcsc/core re-exports it so that pipelines import everything they need from one place.
export { Random } from '@mcsc/graph';
