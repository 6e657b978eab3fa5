/**
 * @mcsc/graph/node: runs graphs on onnxruntime-node, and the file helpers that need Node's `fs`.
 * Everything of the main entry is re-exported, so a Node program needs one import.
 */
export * from './index.js';
export { nodeRuntime, availableNodeDevices, type NodeRuntimeOptions } from './runtime/node.js';
export { writeFileAtomic, readSafetensorsFile, readSafetensorsHeaderFile, saveWeights, loadWeights, saveState, loadState } from './io.js';
export { fileKind, readRegularFile, readRegularFileSync } from './files.js';
