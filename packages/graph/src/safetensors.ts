/**
 * The safetensors format (huggingface/safetensors): an 8-byte little-endian header length, a JSON
 * header {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}, then
 * the raw little-endian bytes. Written here in a few lines rather than pulled in as a dependency: the
 * format is tiny and we need exact control of dtype conversion (F16/BF16/F64 → F32 on load).
 */
import type { DType, TensorData } from './tensor.js';

export interface NamedTensor {
  dtype: DType;
  shape: readonly number[];
  data: TensorData;
}

const TO_FILE: Record<DType, string> = { float32: 'F32', int64: 'I64', bool: 'BOOL' };

export function encodeSafetensors(tensors: ReadonlyMap<string, NamedTensor>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of tensors) {
    header[name] = { dtype: TO_FILE[t.dtype], shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + json.length) % 8)) % 8); // align the data to 8 bytes
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const t of tensors.values()) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}

export interface DecodedSafetensors {
  tensors: Map<string, NamedTensor>;
  metadata: Record<string, string>;
}

/** Parse a safetensors file. `source` names the file in errors. Half and double floats load as float32. */
export function decodeSafetensors(bytes: Uint8Array, source = 'safetensors data'): DecodedSafetensors {
  const fail = (why: string) => new Error(`${source}: not a valid safetensors file: ${why}`);
  if (bytes.length < 8) throw fail(`${bytes.length} bytes is shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (n > bytes.length - 8) throw fail(`header length ${n} exceeds the file size ${bytes.length}`);
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] } | Record<string, string>>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    throw fail(`header is not JSON (${(e as Error).message})`);
  }
  const base = 8 + n;
  const tensors = new Map<string, NamedTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = entry as Record<string, string>;
      continue;
    }
    const { dtype, shape, data_offsets: [begin, end] } = entry as { dtype: string; shape: number[]; data_offsets: [number, number] };
    if (!Array.isArray(shape) || base + end > bytes.length || begin > end) throw fail(`tensor '${name}' has offsets [${begin}, ${end}] outside the data`);
    // Copy (Node's Buffer#slice would share memory): aligned, and detached from the file's buffer.
    const raw = new Uint8Array(bytes.subarray(base + begin, base + end));
    tensors.set(name, { shape, ...convert(raw, dtype, name, fail) });
  }
  return { tensors, metadata };
}

function convert(raw: Uint8Array, dtype: string, name: string, fail: (why: string) => Error): { dtype: DType; data: TensorData } {
  const b = raw.buffer;
  switch (dtype) {
    case 'F32': return { dtype: 'float32', data: new Float32Array(b) };
    case 'F64': return { dtype: 'float32', data: Float32Array.from(new Float64Array(b)) };
    case 'F16': return { dtype: 'float32', data: Float32Array.from(new Uint16Array(b), halfToFloat) };
    case 'BF16': return { dtype: 'float32', data: Float32Array.from(new Uint16Array(b), (h) => new Float32Array(new Uint32Array([h << 16]).buffer)[0]!) };
    case 'I64': return { dtype: 'int64', data: new BigInt64Array(b) };
    case 'I32': return { dtype: 'int64', data: BigInt64Array.from(new Int32Array(b), (v) => BigInt(v)) };
    case 'U8': return { dtype: 'bool', data: raw };
    case 'BOOL': return { dtype: 'bool', data: raw };
    default: throw fail(`tensor '${name}' has dtype ${dtype}; expected F32, F64, F16, BF16, I64, I32, U8 or BOOL`);
  }
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}
