/**
 * The safetensors format (huggingface/safetensors): an 8-byte little-endian header length, a JSON
 * header {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}, then
 * the raw little-endian bytes. Written here in a few lines rather than pulled in as a dependency: the
 * format is tiny and we need exact control of dtype conversion (F16/BF16/F64 → F32 on load).
 */
import type { DType, TensorData } from './tensor.js';
import { McscError } from './errors.js';
import { decodeUtf8Strict, encodeUtf8 } from './utf8.js';

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
  const headerBytes = encodeUtf8(json);
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

/** The header size limit of the reference implementation (huggingface/safetensors `MAX_HEADER_SIZE`). */
export const SAFETENSORS_MAX_HEADER_BYTES = 100_000_000;

/** Options of {@link decodeSafetensors}. */
export interface DecodeSafetensorsOptions {
  /**
   * The dtype each tensor must load as, by name (a map, or a function returning undefined for "any").
   * F32, F64, F16 and BF16 load as float32; I64 and I32 as int64; BOOL and U8 as bool. A tensor whose
   * file dtype loads as another type is an error naming it — e.g. I64 where the model has a float32
   * parameter, which would otherwise be reinterpreted as garbage weights.
   */
  readonly expect?: ReadonlyMap<string, DType> | ((name: string) => DType | undefined);
  /** Largest header accepted, in bytes (default {@link SAFETENSORS_MAX_HEADER_BYTES}). */
  readonly maxHeaderBytes?: number;
}

/** File dtype → bytes per element and the dtype it loads as. */
const FILE_DTYPES: Readonly<Record<string, { readonly size: number; readonly as: DType }>> = {
  F32: { size: 4, as: 'float32' },
  F64: { size: 8, as: 'float32' },
  F16: { size: 2, as: 'float32' },
  BF16: { size: 2, as: 'float32' },
  I64: { size: 8, as: 'int64' },
  I32: { size: 4, as: 'int64' },
  U8: { size: 1, as: 'bool' },
  BOOL: { size: 1, as: 'bool' },
};

const LOADS_FROM: Readonly<Record<DType, string>> = { float32: 'F32, F64, F16 or BF16', int64: 'I64 or I32', bool: 'BOOL or U8' };

/** Names that would reach an object's prototype if a consumer copied the header into a plain object. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** One tensor of a safetensors header: its file dtype, the type it loads as, its shape and bytes. */
export interface SafetensorsEntry {
  readonly name: string;
  /** The file's dtype, e.g. F32, BF16, I64. */
  readonly dtype: string;
  /** What it loads as: F32/F64/F16/BF16 → float32, I64/I32 → int64, BOOL/U8 → bool. */
  readonly loadsAs: DType;
  readonly shape: number[];
  /** data_offsets, counted from the end of the header. */
  readonly begin: number;
  readonly end: number;
}

/** A validated safetensors header ({@link decodeSafetensorsHeader}). */
export interface SafetensorsHeader {
  readonly entries: ReadonlyMap<string, SafetensorsEntry>;
  readonly metadata: Record<string, string>;
  /** Byte offset of the data (8 + the header's length). */
  readonly dataStart: number;
}

/**
 * The header length a safetensors file of `fileBytes` bytes declares in its first 8 bytes (`first`; a
 * longer prefix will do), checked against the limit (`maxHeaderBytes`, default
 * {@link SAFETENSORS_MAX_HEADER_BYTES}) and the file size before anything is read or allocated for it.
 */
export function safetensorsHeaderLength(
  first: Uint8Array,
  fileBytes: number,
  source = 'safetensors data',
  maxHeaderBytes?: number,
): number {
  const fail = (why: string) => new McscError(source, `not a valid safetensors file: ${why}`);
  const maxHeader = maxHeaderBytes ?? SAFETENSORS_MAX_HEADER_BYTES;
  if (fileBytes < 8 || first.length < 8) throw fail(`${fileBytes} bytes is shorter than the 8-byte header length`);
  const n64 = new DataView(first.buffer, first.byteOffset, 8).getBigUint64(0, true);
  if (n64 > BigInt(maxHeader)) throw fail(`header length ${n64} exceeds the limit of ${maxHeader} bytes`);
  const n = Number(n64);
  if (n > fileBytes - 8) throw fail(`header length ${n} exceeds the file size ${fileBytes}`);
  return n;
}

/**
 * Parses and validates the header of a safetensors file of `fileBytes` bytes, given at least its first
 * 8 + header-length bytes (`prefix`; the whole file will do). Every check of {@link decodeSafetensors}
 * runs, the byte ranges against the file's size, without reading the tensors: e.g. a tensor's shape
 * from a checkpoint of hundreds of megabytes.
 */
export function decodeSafetensorsHeader(
  prefix: Uint8Array,
  fileBytes: number,
  source = 'safetensors data',
  options: DecodeSafetensorsOptions = {},
): SafetensorsHeader {
  const fail = (why: string) => new McscError(source, `not a valid safetensors file: ${why}`);
  const n = safetensorsHeaderLength(prefix, fileBytes, source, options.maxHeaderBytes);
  if (n > prefix.length - 8)
    throw new McscError(source, `decodeSafetensorsHeader was given ${prefix.length} bytes, fewer than the ${8 + n} of the header`);
  let text: string;
  try {
    text = decodeUtf8Strict(prefix.subarray(8, 8 + n));
  } catch {
    throw fail('header is not valid UTF-8');
  }
  if (!text.startsWith('{')) throw fail(`header starts with ${JSON.stringify(text.slice(0, 16))}, expected a JSON object "{…}"`);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw fail(`header is not JSON (${(e as Error).message})`);
  }
  if (!isObject(header)) throw fail(`header is ${describe(header)}, expected a JSON object of tensors`);
  const dataLength = fileBytes - 8 - n;
  const entries: SafetensorsEntry[] = [];
  const metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (FORBIDDEN_KEYS.has(name)) throw fail(`header key '${name}' is not allowed`);
    if (name === '__metadata__') {
      if (!isObject(entry)) throw fail(`__metadata__ is ${describe(entry)}, expected an object of strings`);
      for (const [k, v] of Object.entries(entry)) {
        if (FORBIDDEN_KEYS.has(k)) throw fail(`__metadata__ key '${k}' is not allowed`);
        if (typeof v !== 'string') throw fail(`__metadata__.${k} is ${describe(v)}, expected a string`);
        metadata[k] = v;
      }
      continue;
    }
    entries.push(checkEntry(name, entry, dataLength, fail));
  }
  checkTiling(entries, dataLength, fail);
  if (options.expect) {
    const expected =
      typeof options.expect === 'function' ? options.expect : (k: string) => (options.expect as ReadonlyMap<string, DType>).get(k);
    for (const e of entries) {
      const want = expected(e.name);
      if (want !== undefined && want !== e.loadsAs) {
        throw new McscError(
          source,
          `tensor '${e.name}' has dtype ${e.dtype}, which loads as ${e.loadsAs}, but the model expects ${want} (${LOADS_FROM[want]})`,
        );
      }
    }
  }
  return { entries: new Map(entries.map((e) => [e.name, e])), metadata, dataStart: 8 + n };
}

/**
 * Parses a safetensors file. `source` names the file in errors. Half and double floats load as float32.
 *
 * Everything is validated before any tensor is allocated, as the reference implementation does: the
 * header length (at most `maxHeaderBytes` and inside the file), the header (a UTF-8 JSON object whose
 * entries are objects: a known dtype, a shape of non-negative integers and integer `data_offsets`
 * [begin, end] with begin ≤ end), dtype size × shape = end − begin, and the byte ranges, which must tile
 * the data exactly: sorted by offset they start at 0, each begins where the previous ends (no overlap,
 * no gap) and the last ends at the end of the file. Offsets count from the end of the header, so none
 * can point into it. With `expect`, each tensor's dtype must load as the expected type.
 */
export function decodeSafetensors(
  bytes: Uint8Array,
  source = 'safetensors data',
  options: DecodeSafetensorsOptions = {},
): DecodedSafetensors {
  const { entries, metadata, dataStart } = decodeSafetensorsHeader(bytes, bytes.length, source, options);
  const tensors = new Map<string, NamedTensor>();
  for (const e of entries.values()) {
    // Copy (Node's Buffer#slice would share memory): aligned, and detached from the file's buffer.
    const raw = new Uint8Array(bytes.subarray(dataStart + e.begin, dataStart + e.end));
    tensors.set(e.name, { shape: e.shape, ...convert(raw, e.dtype) });
  }
  return { tensors, metadata };
}

function checkEntry(name: string, entry: unknown, dataLength: number, fail: (why: string) => Error): SafetensorsEntry {
  const t = `tensor '${name}'`;
  if (!isObject(entry)) throw fail(`${t} is ${describe(entry)}, expected an object {dtype, shape, data_offsets}`);
  const { dtype, shape, data_offsets: offsets } = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
  if (typeof dtype !== 'string') throw fail(`${t} has dtype ${describe(dtype)}, expected one of ${Object.keys(FILE_DTYPES).join(', ')}`);
  const type = Object.hasOwn(FILE_DTYPES, dtype) ? FILE_DTYPES[dtype] : undefined;
  if (!type) throw fail(`${t} has dtype ${dtype}; expected F32, F64, F16, BF16, I64, I32, U8 or BOOL`);
  if (!Array.isArray(shape) || !shape.every(isCount))
    throw fail(`${t} has shape ${describe(shape)}, expected an array of non-negative integers`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    throw fail(`${t} has data_offsets ${describe(offsets)}, expected [begin, end], two non-negative integers`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) throw fail(`${t} has data_offsets [${begin}, ${end}], expected begin ≤ end`);
  if (end > dataLength) throw fail(`${t} has data_offsets [${begin}, ${end}] past the end of the ${dataLength}-byte data`);
  // Element count, stopping as soon as it cannot fit (no overflow past 2^53).
  let count = 1;
  for (const d of shape as number[]) {
    count *= d;
    if (count * type.size > dataLength) break;
  }
  if (count * type.size !== end - begin) {
    throw fail(
      `${t} has shape [${(shape as number[]).join(', ')}] of ${dtype} (${count * type.size} bytes), but data_offsets [${begin}, ${end}] hold ${end - begin} bytes`,
    );
  }
  return { name, dtype, loadsAs: type.as, shape: [...(shape as number[])], begin, end };
}

/** The ranges, sorted by offset, must cover [0, dataLength) exactly once. */
function checkTiling(entries: readonly SafetensorsEntry[], dataLength: number, fail: (why: string) => Error): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  let previous: SafetensorsEntry | undefined;
  for (const e of sorted) {
    if (e.begin < at) {
      throw fail(
        `tensor '${e.name}' at data_offsets [${e.begin}, ${e.end}] overlaps tensor '${previous!.name}' at [${previous!.begin}, ${previous!.end}]; expected non-overlapping ranges`,
      );
    }
    if (e.begin > at) {
      throw fail(
        `bytes ${at} … ${e.begin} of the data belong to no tensor (before tensor '${e.name}' at [${e.begin}, ${e.end}]); expected contiguous ranges`,
      );
    }
    at = e.end;
    previous = e;
  }
  if (at !== dataLength)
    throw fail(`the data holds ${dataLength} bytes but the tensors cover ${at}; expected the ranges to end at the end of the file`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'missing';
  if (Array.isArray(v)) return `an array ${short(v)}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${short(v)}`;
}

/** JSON text of a value, cut to 40 characters; never recursion-deep (headers may nest arrays 10⁵ deep). */
function short(v: unknown): string {
  if (Array.isArray(v) && v.some((x) => typeof x === 'object' && x !== null)) return `of ${v.length} item${v.length === 1 ? '' : 's'}`;
  const s = JSON.stringify(Array.isArray(v) ? v.slice(0, 8) : v) ?? String(v);
  const text = Array.isArray(v) && v.length > 8 ? `${s.slice(0, -1)},…]` : s;
  return text.length > 40 ? `${text.slice(0, 37)}…` : text;
}

function convert(raw: Uint8Array, dtype: string): { dtype: DType; data: TensorData } {
  const b = raw.buffer as ArrayBuffer;
  switch (dtype) {
    case 'F32':
      return { dtype: 'float32', data: new Float32Array(b) };
    case 'F64':
      return { dtype: 'float32', data: Float32Array.from(new Float64Array(b)) };
    case 'F16':
      return { dtype: 'float32', data: Float32Array.from(new Uint16Array(b), halfToFloat) };
    case 'BF16':
      return {
        dtype: 'float32',
        data: Float32Array.from(new Uint16Array(b), (h) => new Float32Array(new Uint32Array([h << 16]).buffer)[0]!),
      };
    case 'I64':
      return { dtype: 'int64', data: new BigInt64Array(b) };
    case 'I32':
      return { dtype: 'int64', data: BigInt64Array.from(new Int32Array(b), (v) => BigInt(v)) };
    default:
      return { dtype: 'bool', data: raw }; // U8, BOOL (checked by checkEntry)
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
