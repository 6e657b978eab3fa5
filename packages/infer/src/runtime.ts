/**
 * What the segmentation logic needs of an ONNX Runtime build: a {@link GraphRuntime} of @mcsc/graph
 * (onnxruntime-node in `node/runtime.ts`, onnxruntime-web in `web/runtime.ts`) plus a way to read model
 * bytes from a path or URL. The rest of the package (validation, resizing, batching, ensembling) is
 * shared and never imports either build.
 */
import type { GraphRuntime } from '@mcsc/graph';

/** Where a model comes from: a file path (Node), a URL (http(s), or file: in Node), or the ONNX bytes. */
export type ModelSource = string | URL | Uint8Array | ArrayBuffer;

/** A graph runtime that can also read models. */
export interface InferenceRuntime extends GraphRuntime {
  /** The model's bytes and a name for errors (its path or URL). */
  read(source: ModelSource): Promise<{ bytes: Uint8Array; name: string }>;
}

/** A name for a source in error messages. */
export function sourceName(source: ModelSource): string {
  if (typeof source === 'string') return source;
  if (source instanceof URL) return source.href;
  return `<${source.byteLength} bytes>`;
}

/** Bytes given directly, or undefined for a path or URL. */
export function bytesOf(source: ModelSource): Uint8Array | undefined {
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  return undefined;
}
