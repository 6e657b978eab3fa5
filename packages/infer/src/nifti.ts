/**
 * NIfTI-1 volumes as bytes: parse `.nii` / `.nii.gz` (header parsed by nifti-reader-js, gunzip by fflate)
 * and encode them with the geometry of a reference header. No Node modules: the browser bundle uses
 * this file as it is; reading and writing files lives in `node/nifti.ts`.
 *
 * Layout: https://nifti.nimh.nih.gov/pub/dist/src/niftilib/nifti1.h — a 348-byte header, a 4-byte
 * extension flag, then the voxels at `vox_offset`, x fastest: index = x + X·(y + Y·(z + Z·t)).
 * Affine rule (nifti1.h "method 3" before "method 2"): the sform rows when `sform_code > 0`, else the
 * quaternion qform when `qform_code > 0`, else `diag(pixdim[1..3])`.
 */
import { gzipSync } from 'fflate';
import { isNIFTI2, readHeader, type NIFTI1 } from 'nifti-reader-js';
import { gunzipChecked, isGzip } from './gzip.js';
import { McscError } from '@mcsc/graph';

/** Voxel arrays a NIfTI-1 file can hold (complex, RGB and 64-bit integer types are not supported). */
export type NiftiData = Uint8Array | Int8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array;

/** The NIfTI-1 header fields this module reads and writes (names as in nifti1.h, camel-cased). */
export interface NiftiHeader {
  /** Byte order of the file it was read from; written files are always little-endian. */
  readonly littleEndian: boolean;
  /** dim[1 … dim[0]]: [X, Y, Z(, T, …)]. */
  readonly dims: readonly number[];
  /** All eight pixdim values; pixdim[0] is qfac (±1), pixdim[1..3] the voxel size. */
  readonly pixdim: readonly number[];
  /** NIfTI datatype code (2 uint8, 4 int16, 16 float32, …) and its bits per voxel. */
  readonly datatype: number;
  readonly bitpix: number;
  readonly voxOffset: number;
  /** Stored value v means v·sclSlope + sclInter; a slope of 0 means "no scaling". */
  readonly sclSlope: number;
  readonly sclInter: number;
  readonly xyztUnits: number;
  readonly dimInfo: number;
  readonly intentCode: number;
  readonly intentP: readonly [number, number, number];
  readonly intentName: string;
  readonly sliceStart: number;
  readonly sliceEnd: number;
  readonly sliceCode: number;
  readonly sliceDuration: number;
  readonly toffset: number;
  readonly calMin: number;
  readonly calMax: number;
  readonly description: string;
  readonly auxFile: string;
  readonly qformCode: number;
  readonly sformCode: number;
  /** Quaternion b, c, d of the qform (a is implied). */
  readonly quatern: readonly [number, number, number];
  readonly qoffset: readonly [number, number, number];
  /** srow_x, srow_y, srow_z: the first three rows of the sform. */
  readonly srow: readonly (readonly number[])[];
}

/** A NIfTI-1 volume as read from disk. */
export interface NiftiVolume {
  /** Stored voxel values (unscaled; see {@link niftiToFloat32}), x fastest. */
  readonly data: NiftiData;
  /** [X, Y, Z(, T)] — dim[1 … dim[0]]. */
  readonly dims: readonly number[];
  /** Voxel size along each of `dims` (pixdim[1 …]), usually millimetres. */
  readonly spacing: readonly number[];
  /** 4×4 voxel-index → world matrix, row-major rows (sform if sform_code > 0, else qform). */
  readonly affine: readonly (readonly number[])[];
  readonly header: NiftiHeader;
}

/** Options of `writeNifti` (Node) / {@link encodeNifti}. */
export interface NiftiWriteOptions {
  /** Header whose geometry (pixdim, qform, sform, units, description) the file keeps. */
  readonly reference?: NiftiHeader;
  /** [X, Y, Z(, T)]; default: the reference's dims. One of the two is required. */
  readonly dims?: readonly number[];
  /** Voxel size; overrides the reference's pixdim[1 …]. */
  readonly spacing?: readonly number[];
  /** 4×4 affine; sets sform and qform (code 1, scanner) and pixdim from it, overriding the reference. */
  readonly affine?: readonly (readonly number[])[];
}

const HEADER_BYTES = 348;
const VOX_OFFSET = 352;

type TypedArrayCtor = { new (buffer: ArrayBuffer, byteOffset?: number, length?: number): NiftiData; readonly BYTES_PER_ELEMENT: number };

/** datatype code → array constructor, for reading. */
const READ_TYPES: ReadonlyMap<number, TypedArrayCtor> = new Map<number, TypedArrayCtor>([
  [2, Uint8Array],
  [4, Int16Array],
  [8, Int32Array],
  [16, Float32Array],
  [64, Float64Array],
  [256, Int8Array],
  [512, Uint16Array],
  [768, Uint32Array],
]);

/** Array type → datatype code, for writing (the three types the project stores). */
function writeType(data: NiftiData, target: string): { datatype: number; bitpix: number } {
  if (data instanceof Uint8Array) return { datatype: 2, bitpix: 8 };
  if (data instanceof Int16Array) return { datatype: 4, bitpix: 16 };
  if (data instanceof Float32Array) return { datatype: 16, bitpix: 32 };
  throw new McscError(target, `data must be a Uint8Array, Int16Array or Float32Array, got ${data.constructor.name}`);
}

/** Limits on what a NIfTI file may claim (docs/limits.md). */
export interface NiftiLimits {
  /** Most voxels (product of dims) a file may hold; default {@link NIFTI_MAX_VOXELS}. */
  readonly maxVoxels?: number;
}

/** Default voxel limit: 2^29 (e.g. 512 × 512 × 2048), 0.5 GiB of uint8, 2 GiB as float32. */
export const NIFTI_MAX_VOXELS = 2 ** 29;

/** Bytes a `.nii.gz` stream may hold past the voxel data its header declares (they are ignored). */
export const NIFTI_MAX_TRAILING_BYTES = 1 << 20;

/** deflate's best compression ratio (258-byte matches in 2 bits). */
const MAX_DEFLATE_RATIO = 1032;

/** What a validated header says about the voxel block. */
interface VoxelLayout {
  readonly header: NIFTI1;
  readonly ndim: number;
  readonly dims: number[];
  readonly Ctor: TypedArrayCtor;
  readonly count: number;
  /** vox_offset: where the voxels start. */
  readonly offset: number;
  /** offset + voxel bytes: the bytes the file must hold. */
  readonly end: number;
}

/**
 * Parses NIfTI-1 bytes (gzipped or not); `source` names the file in errors. The header is validated
 * before anything is allocated from it (dim[0] and dims, datatype, vox_offset, the voxel count against
 * `limits.maxVoxels`, the declared size against the real one); a gzip stream is inflated in bounded
 * steps, refused once it grows past what the header declares, and its CRC-32 and size are checked.
 */
export function parseNifti(bytes: Uint8Array, source: string, limits: NiftiLimits = {}): NiftiVolume {
  return parseNiftiBytes(bytes, source, limits, false);
}

/**
 * {@link parseNifti} for callers that hand over `bytes` (Node's reader): the voxels may then be a view
 * into them instead of a copy.
 */
export function parseNiftiBytes(bytes: Uint8Array, source: string, limits: NiftiLimits, owned: boolean): NiftiVolume {
  let raw = bytes;
  let layout: VoxelLayout;
  if (isGzip(bytes)) {
    ({ raw, layout } = inflateNifti(bytes, source, limits));
    owned = true;
  } else {
    layout = checkNiftiHeader(bytes.subarray(0, HEADER_BYTES + 4), source, limits, bytes.length);
  }
  const { header: h, dims, Ctor, count, offset, ndim } = layout;
  const le = h.littleEndian;
  const width = Ctor.BYTES_PER_ELEMENT;
  const at = raw.byteOffset + offset;
  const data =
    owned && (le || width === 1) && at % width === 0
      ? new Ctor(raw.buffer as ArrayBuffer, at, count)
      : new Ctor(raw.slice(offset, offset + count * width).buffer as ArrayBuffer);
  if (!le && width > 1) swapBytes(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width);
  const view = new DataView(raw.buffer, raw.byteOffset, HEADER_BYTES);
  const srow = [0, 1, 2].map((r) => [0, 1, 2, 3].map((c) => view.getFloat32(280 + (r * 4 + c) * 4, le)));
  const header: NiftiHeader = {
    littleEndian: le,
    dims,
    pixdim: h.pixDims.slice(0, 8),
    datatype: h.datatypeCode,
    bitpix: h.numBitsPerVoxel,
    voxOffset: h.vox_offset,
    sclSlope: h.scl_slope,
    sclInter: h.scl_inter,
    xyztUnits: h.xyzt_units,
    dimInfo: h.dim_info,
    intentCode: h.intent_code,
    intentP: [h.intent_p1, h.intent_p2, h.intent_p3],
    intentName: h.intent_name,
    sliceStart: h.slice_start,
    sliceEnd: h.slice_end,
    sliceCode: h.slice_code,
    sliceDuration: h.slice_duration,
    toffset: h.toffset,
    calMin: h.cal_min,
    calMax: h.cal_max,
    description: h.description,
    auxFile: h.aux_file,
    qformCode: h.qform_code,
    sformCode: h.sform_code,
    quatern: [h.quatern_b, h.quatern_c, h.quatern_d],
    qoffset: [h.qoffset_x, h.qoffset_y, h.qoffset_z],
    srow,
  };
  const affine = headerAffine(header);
  if (affine.some((row) => row.some((x) => !Number.isFinite(x)))) {
    throw new McscError(
      `NIfTI file ${source}`,
      `the voxel-to-world affine (${h.sform_code > 0 ? 'sform' : h.qform_code > 0 ? 'qform' : 'pixdim'}) holds non-finite values ${JSON.stringify(affine.slice(0, 3))}; expected finite numbers`,
    );
  }
  return { data, dims, spacing: header.pixdim.slice(1, 1 + ndim), affine, header };
}

/** What a NIfTI-1 header declares about its voxel block (see {@link inspectNiftiHeader}). */
export interface NiftiHeaderInfo {
  readonly dims: readonly number[];
  readonly datatype: number;
  readonly voxOffset: number;
  /** vox_offset + voxels × bytes per voxel: the size the (uncompressed) file must have. */
  readonly end: number;
}

/**
 * Validates the first 352 bytes of an uncompressed NIfTI-1 file (its header and extension flag) against
 * `limits` and, when given, the file's size — everything `parseNifti` checks before it allocates.
 */
export function inspectNiftiHeader(head: Uint8Array, source: string, limits: NiftiLimits = {}, fileSize?: number): NiftiHeaderInfo {
  const { dims, header, offset, end } = checkNiftiHeader(head, source, limits, fileSize);
  return { dims, datatype: header.datatypeCode, voxOffset: offset, end };
}

/**
 * Validates a NIfTI-1 header (the first 348 bytes or more of the file) against `limits` and, when
 * known, the file's size; returns where the voxels are. Throws errors naming `source`.
 */
function checkNiftiHeader(head: Uint8Array, source: string, limits: NiftiLimits, fileSize: number | undefined): VoxelLayout {
  const where = `NIfTI file ${source}`;
  // Only the fixed header: nifti-reader-js then skips extensions, whose sizes come from the file.
  const copy = head.slice(0, Math.min(head.length, HEADER_BYTES + 4));
  checkMagic(copy.buffer, source);
  if (copy.length < VOX_OFFSET)
    throw new McscError(where, `${copy.length} bytes is shorter than the 348-byte NIfTI-1 header and its 4-byte extension flag`);
  const h = readHeader(copy.buffer) as NIFTI1;
  const ndim = h.dims[0]!;
  if (!(ndim >= 1 && ndim <= 7)) throw new McscError(where, `dim[0] is ${ndim}, expected 1 … 7`);
  const dims = h.dims.slice(1, 1 + ndim);
  if (dims.some((d) => !(d >= 1))) throw new McscError(where, `dims [${dims.join(', ')}] must all be ≥ 1`);
  const Ctor = READ_TYPES.get(h.datatypeCode);
  if (!Ctor) {
    throw new McscError(
      where,
      `datatype ${h.datatypeCode} (${h.getDatatypeCodeString(h.datatypeCode)}) is not supported; expected uint8, int8, int16, uint16, int32, uint32, float32 or float64`,
    );
  }
  const spacing = h.pixDims.slice(1, 1 + Math.min(ndim, 3));
  if (spacing.some((p) => !Number.isFinite(p)))
    throw new McscError(where, `pixdim [${spacing.join(', ')}] holds non-finite voxel sizes, expected finite numbers`);
  const maxVoxels = limits.maxVoxels ?? NIFTI_MAX_VOXELS;
  const count = dims.reduce((a, b) => a * b, 1);
  if (count > maxVoxels) {
    throw new McscError(
      where,
      `dims [${dims.join(', ')}] hold ${count} voxels, more than the limit of ${maxVoxels} (maxVoxels; see docs/limits.md)`,
    );
  }
  const offset = h.vox_offset;
  if (!Number.isInteger(offset) || offset < VOX_OFFSET || offset > 2 ** 31) {
    throw new McscError(
      where,
      `vox_offset is ${offset}, expected a whole number ≥ ${VOX_OFFSET} (a single-file .nii puts the voxels after the 348-byte header and the 4-byte extension flag)`,
    );
  }
  const need = count * Ctor.BYTES_PER_ELEMENT;
  const end = offset + need;
  if (fileSize !== undefined && end > fileSize) {
    throw new McscError(
      where,
      `header promises ${dims.join('×')} voxels of ${Ctor.BYTES_PER_ELEMENT} bytes at offset ${offset} (${end} bytes), but the file holds ${fileSize} bytes`,
    );
  }
  return { header: h, ndim, dims, Ctor, count, offset, end };
}

/**
 * Inflates a `.nii.gz` stream into a buffer of exactly the size its header declares: the header is
 * checked as soon as its 352 bytes are out, and inflation stops with an error once the output passes
 * the declared size by more than {@link NIFTI_MAX_TRAILING_BYTES}.
 */
function inflateNifti(bytes: Uint8Array, source: string, limits: NiftiLimits): { raw: Uint8Array; layout: VoxelLayout } {
  const where = `NIfTI file ${source}`;
  const head = new Uint8Array(VOX_OFFSET);
  let total = 0;
  let layout: VoxelLayout | undefined;
  let raw: Uint8Array | undefined;
  gunzipChecked(
    bytes,
    (chunk) => {
      const before = total;
      total += chunk.length;
      if (!raw) {
        head.set(chunk.subarray(0, VOX_OFFSET - before), before);
        if (total < VOX_OFFSET) return;
        layout = checkNiftiHeader(head, source, limits, undefined);
        // Deflate inflates at most 1032:1: a claim the stream cannot hold is refused before it is allocated.
        const most = bytes.length * MAX_DEFLATE_RATIO;
        if (layout.end > most) {
          throw new McscError(
            where,
            `header promises ${layout.dims.join('×')} voxels of ${layout.Ctor.BYTES_PER_ELEMENT} bytes (${layout.end} bytes), more than the ${bytes.length}-byte gzip stream can inflate to (at most ${most}); expected a complete file`,
          );
        }
        raw = new Uint8Array(layout.end);
        raw.set(head);
        raw.set(chunk.subarray(VOX_OFFSET - before, layout.end - before), VOX_OFFSET);
      } else if (before < raw.length) {
        raw.set(chunk.subarray(0, raw.length - before), before);
      }
      if (total > raw.length + NIFTI_MAX_TRAILING_BYTES) {
        throw new McscError(
          where,
          `the gzip stream inflates to more than ${total} bytes, but the header declares ${raw.length} (${layout!.dims.join('×')} voxels at offset ${layout!.offset}); refused as a decompression bomb or a damaged file`,
        );
      }
    },
    where,
  );
  if (!raw || !layout) {
    throw new McscError(where, `${total} bytes (inflated) is shorter than the 348-byte NIfTI-1 header and 4-byte extension flag`);
  }
  if (total < raw.length) {
    throw new McscError(
      where,
      `header promises ${layout.dims.join('×')} voxels of ${layout.Ctor.BYTES_PER_ELEMENT} bytes at offset ${layout.offset} (${raw.length} bytes), but the file holds ${total} bytes (inflated)`,
    );
  }
  return { raw, layout };
}

/** The voxel values as float32 with scl_slope / scl_inter applied (slope 0 or NaN: unscaled). */
export function niftiToFloat32(volume: NiftiVolume): Float32Array {
  const { sclSlope, sclInter } = volume.header;
  const scaled = Number.isFinite(sclSlope) && sclSlope !== 0;
  const out = new Float32Array(volume.data.length);
  for (let i = 0; i < out.length; i++) {
    out[i] = scaled ? volume.data[i]! * sclSlope + sclInter : volume.data[i]!;
  }
  return out;
}

/** The 4×4 affine a header defines (sform if sform_code > 0, else qform if qform_code > 0, else pixdim). */
export function headerAffine(h: NiftiHeader): number[][] {
  if (h.sformCode > 0) return [...h.srow.map((r) => [...r]), [0, 0, 0, 1]];
  const [dx, dy, dz] = [h.pixdim[1] ?? 1, h.pixdim[2] ?? 1, h.pixdim[3] ?? 1];
  if (h.qformCode <= 0)
    return [
      [dx, 0, 0, 0],
      [0, dy, 0, 0],
      [0, 0, dz, 0],
      [0, 0, 0, 1],
    ];
  let [b, c, d] = h.quatern;
  // nifti1_io.c: a is implied by b, c, d; when it is below float32 noise, renormalise and take a = 0.
  let a = 1 - (b * b + c * c + d * d);
  if (a < 1e-7) {
    const n = 1 / Math.sqrt(b * b + c * c + d * d);
    b *= n;
    c *= n;
    d *= n;
    a = 0;
  } else a = Math.sqrt(a);
  const qfac = h.pixdim[0]! < 0 ? -1 : 1;
  const R = [
    [a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)],
    [2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b)],
    [2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - c * c - b * b],
  ];
  const scale = [dx, dy, qfac * dz];
  return [...R.map((row, i) => [row[0]! * scale[0]!, row[1]! * scale[1]!, row[2]! * scale[2]!, h.qoffset[i]!]), [0, 0, 0, 1]];
}

/**
 * Encodes a volume as NIfTI-1 bytes (`gzip`: as a `.nii.gz` stream). uint8, int16 or float32 voxels,
 * x fastest; geometry from `options.reference` unless `spacing` / `affine` override it.
 */
export function encodeNifti(data: NiftiData, options: NiftiWriteOptions, gzip = false, target = 'encodeNifti'): Uint8Array {
  const { datatype, bitpix } = writeType(data, target);
  const ref = options.reference;
  const dims = options.dims ?? ref?.dims;
  if (!dims) throw new McscError(target, 'give dims or a reference header');
  if (dims.length < 1 || dims.length > 7 || dims.some((d) => !Number.isInteger(d) || d < 1 || d > 32767)) {
    throw new McscError(target, `dims must be 1 … 7 integers in 1 … 32767, got [${dims.join(', ')}]`);
  }
  const count = dims.reduce((a, b) => a * b, 1);
  if (count !== data.length) {
    throw new McscError(target, `dims [${dims.join(', ')}] hold ${count} voxels but data has ${data.length}`);
  }
  const pixdim = ref ? [...ref.pixdim] : [1, 1, 1, 1, 1, 1, 1, 1];
  while (pixdim.length < 8) pixdim.push(1);
  if (pixdim[0] !== -1) pixdim[0] = 1;
  if (options.spacing)
    options.spacing.forEach((s, i) => {
      pixdim[i + 1] = s;
    });
  let qformCode = ref?.qformCode ?? 0;
  let sformCode = ref?.sformCode ?? 0;
  let quatern = ref?.quatern ?? [0, 0, 0];
  let qoffset = ref?.qoffset ?? [0, 0, 0];
  let srow: readonly (readonly number[])[] = ref?.srow ?? [
    [pixdim[1]!, 0, 0, 0],
    [0, pixdim[2]!, 0, 0],
    [0, 0, pixdim[3]!, 0],
  ];
  if (options.affine) {
    const q = affineToQuaternion(options.affine, target);
    srow = options.affine.slice(0, 3);
    qformCode = sformCode = 1;
    ({ quatern, qoffset } = q);
    pixdim[0] = q.qfac;
    q.spacing.forEach((s, i) => {
      pixdim[i + 1] = s;
    });
  }

  const out = new Uint8Array(VOX_OFFSET + data.byteLength);
  const v = new DataView(out.buffer);
  const str = (at: number, s: string, max: number) => {
    for (let i = 0; i < Math.min(s.length, max - 1); i++) out[at + i] = s.charCodeAt(i) & 0x7f;
  };
  v.setInt32(0, HEADER_BYTES, true);
  out[38] = 'r'.charCodeAt(0);
  out[39] = ref?.dimInfo ?? 0;
  v.setInt16(40, dims.length, true);
  for (let i = 0; i < 7; i++) v.setInt16(42 + 2 * i, dims[i] ?? 1, true);
  (ref?.intentP ?? [0, 0, 0]).forEach((p, i) => v.setFloat32(56 + 4 * i, p, true));
  v.setInt16(68, ref?.intentCode ?? 0, true);
  v.setInt16(70, datatype, true);
  v.setInt16(72, bitpix, true);
  v.setInt16(74, ref?.sliceStart ?? 0, true);
  pixdim.slice(0, 8).forEach((p, i) => v.setFloat32(76 + 4 * i, p, true));
  v.setFloat32(108, VOX_OFFSET, true);
  // Scaling belongs to the stored values of the reference, not to these: write unscaled.
  v.setFloat32(112, 1, true);
  v.setFloat32(116, 0, true);
  v.setInt16(120, ref?.sliceEnd ?? 0, true);
  out[122] = ref?.sliceCode ?? 0;
  out[123] = ref?.xyztUnits ?? 10; // mm + s
  v.setFloat32(132, ref?.sliceDuration ?? 0, true);
  v.setFloat32(136, ref?.toffset ?? 0, true);
  str(148, ref?.description ?? 'mcsc', 80);
  str(228, ref?.auxFile ?? '', 24);
  v.setInt16(252, qformCode, true);
  v.setInt16(254, sformCode, true);
  quatern.forEach((q, i) => v.setFloat32(256 + 4 * i, q, true));
  qoffset.forEach((q, i) => v.setFloat32(268 + 4 * i, q, true));
  srow.forEach((row, r) => row.slice(0, 4).forEach((x, c) => v.setFloat32(280 + (r * 4 + c) * 4, x, true)));
  str(328, ref?.intentName ?? '', 16);
  str(344, 'n+1', 4);
  // Bytes 348–351: extension flag, all zero (no extensions).
  // Typed arrays use the host's byte order, little-endian on every platform Node and browsers run on.
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), VOX_OFFSET);
  return gzip ? gzipSync(out) : out;
}

/** qform parameters of an affine (nifti1_io.c nifti_mat44_to_quatern, columns orthogonalised by Gram–Schmidt). */
function affineToQuaternion(
  affine: readonly (readonly number[])[],
  target: string,
): {
  quatern: [number, number, number];
  qoffset: [number, number, number];
  qfac: number;
  spacing: [number, number, number];
} {
  if (affine.length < 3 || affine.slice(0, 3).some((r) => r.length < 4 || r.some((x) => !Number.isFinite(x)))) {
    throw new McscError(target, 'affine must be 4×4 (or 3×4) finite numbers');
  }
  const col = (j: number) => [affine[0]![j]!, affine[1]![j]!, affine[2]![j]!];
  const norm = (u: number[]) => Math.hypot(u[0]!, u[1]!, u[2]!);
  const dot = (u: number[], w: number[]) => u[0]! * w[0]! + u[1]! * w[1]! + u[2]! * w[2]!;
  const spacing: [number, number, number] = [norm(col(0)) || 1, norm(col(1)) || 1, norm(col(2)) || 1];
  const u0 = col(0).map((x) => x / spacing[0]);
  let u1 = col(1).map((x) => x / spacing[1]);
  u1 = u1.map((x, i) => x - dot(u1, u0) * u0[i]!);
  u1 = u1.map((x) => x / (norm(u1) || 1));
  let u2 = col(2).map((x) => x / spacing[2]);
  u2 = u2.map((x, i) => x - dot(u2, u0) * u0[i]! - dot(u2, u1) * u1[i]!);
  u2 = u2.map((x) => x / (norm(u2) || 1));
  const det =
    u0[0]! * (u1[1]! * u2[2]! - u1[2]! * u2[1]!) -
    u1[0]! * (u0[1]! * u2[2]! - u0[2]! * u2[1]!) +
    u2[0]! * (u0[1]! * u1[2]! - u0[2]! * u1[1]!);
  const qfac = det > 0 ? 1 : -1;
  if (qfac < 0) u2 = u2.map((x) => -x);
  const [r11, r21, r31] = u0 as [number, number, number];
  const [r12, r22, r32] = u1 as [number, number, number];
  const [r13, r23, r33] = u2 as [number, number, number];
  let a = r11 + r22 + r33 + 1;
  let b: number;
  let c: number;
  let d: number;
  if (a > 0.5) {
    a = 0.5 * Math.sqrt(a);
    b = (0.25 * (r32 - r23)) / a;
    c = (0.25 * (r13 - r31)) / a;
    d = (0.25 * (r21 - r12)) / a;
  } else {
    const xd = 1 + r11 - (r22 + r33);
    const yd = 1 + r22 - (r11 + r33);
    const zd = 1 + r33 - (r11 + r22);
    if (xd > 1) {
      b = 0.5 * Math.sqrt(xd);
      c = (0.25 * (r12 + r21)) / b;
      d = (0.25 * (r13 + r31)) / b;
      a = (0.25 * (r32 - r23)) / b;
    } else if (yd > 1) {
      c = 0.5 * Math.sqrt(yd);
      b = (0.25 * (r12 + r21)) / c;
      d = (0.25 * (r23 + r32)) / c;
      a = (0.25 * (r13 - r31)) / c;
    } else {
      d = 0.5 * Math.sqrt(zd);
      b = (0.25 * (r13 + r31)) / d;
      c = (0.25 * (r23 + r32)) / d;
      a = (0.25 * (r21 - r12)) / d;
    }
    if (a < 0) {
      b = -b;
      c = -c;
      d = -d;
    }
  }
  return { quatern: [b, c, d], qoffset: [affine[0]![3]!, affine[1]![3]!, affine[2]![3]!], qfac, spacing };
}

/** Throws a clear error unless the buffer starts a NIfTI-1 header (sizeof_hdr 348 and magic n+1 / ni1). */
function checkMagic(buffer: ArrayBuffer, source: string): void {
  const view = new DataView(buffer);
  if (buffer.byteLength < HEADER_BYTES) {
    throw new McscError(`NIfTI file ${source}`, `${buffer.byteLength} bytes is shorter than the 348-byte NIfTI-1 header`);
  }
  const magicBytes = new Uint8Array(buffer, 344, 4);
  const magic = [...magicBytes]
    .map((b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`))
    .join('');
  if (isNIFTI2(buffer)) throw new McscError(`NIfTI file ${source}`, 'NIfTI-2 is not supported, expected NIfTI-1');
  const size = view.getInt32(0, true);
  const sizeBE = view.getInt32(0, false);
  const okMagic =
    magicBytes[0] === 0x6e /* n */ &&
    (magicBytes[1] === 0x2b /* + */ || magicBytes[1] === 0x69) /* i */ &&
    magicBytes[2] === 0x31 &&
    magicBytes[3] === 0;
  if ((size !== HEADER_BYTES && sizeBE !== HEADER_BYTES) || !okMagic) {
    throw new McscError(
      `NIfTI file ${source}`,
      `not a NIfTI-1 file: sizeof_hdr is ${size} and magic is "${magic}", expected 348 and "n+1\\x00" (or "ni1\\x00")`,
    );
  }
  if (magicBytes[1] === 0x69) {
    throw new McscError(`NIfTI file ${source}`, 'magic "ni1" marks a .hdr/.img pair; only single-file .nii / .nii.gz is supported');
  }
}

/** Reverses the byte order of every `width`-byte element in place. */
function swapBytes(bytes: Uint8Array, width: number): void {
  for (let i = 0; i + width <= bytes.length; i += width) {
    for (let a = i, b = i + width - 1; a < b; a++, b--) {
      const t = bytes[a]!;
      bytes[a] = bytes[b]!;
      bytes[b] = t;
    }
  }
}
