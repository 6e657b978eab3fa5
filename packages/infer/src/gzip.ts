/**
 * gzip (RFC 1952) decompression that checks what fflate's `gunzipSync` does not: the CRC-32 and ISIZE
 * trailer of every member, and how much comes out. fflate's `gunzipSync` allocates the output from the
 * trailer's ISIZE claim and never verifies the CRC; here the stream is inflated in bounded input chunks
 * and handed to a sink chunk by chunk, so a caller can stop (throw) as soon as the output exceeds what
 * it expects. Pure TypeScript (fflate's streaming inflater), for Node and browsers alike.
 */
import { Gunzip } from 'fflate';
import { McscError } from '@mcsc/graph';

/** Input bytes inflated per step: at most ~1032× this (deflate's best ratio) is produced between sink calls. */
const INPUT_CHUNK = 4 * 1024;

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE, as gzip and zip store it) of `data`, continuing from `crc` (0 to start). */
export function crc32(data: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** True when `bytes` starts with the gzip magic number. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Inflates every member of the gzip stream `bytes`, passing the output to `sink` in order, and checks
 * each member's CRC-32 and ISIZE against what was inflated. Errors read `${where}: gzip stream …`; an
 * error thrown by `sink` (e.g. "more than the header declares") stops inflation and propagates as is.
 * Trailing bytes that are not another gzip member are an error.
 */
export function gunzipChecked(bytes: Uint8Array, sink: (chunk: Uint8Array) => void, where: string): void {
  const corrupt = (why: string) => new McscError(where, `gzip stream is corrupt: ${why}`);
  const members: { crc: number; size: number }[] = [];
  const starts = [0];
  let crc = 0;
  let size = 0;
  let sinkError: unknown;
  const inflater = new Gunzip((chunk) => {
    if (chunk.length === 0) return;
    crc = crc32(chunk, crc);
    size += chunk.length;
    try {
      sink(chunk);
    } catch (e) {
      sinkError = e;
      throw e;
    }
  });
  inflater.onmember = (offset: number) => {
    members.push({ crc, size });
    starts.push(offset);
    crc = 0;
    size = 0;
  };
  try {
    if (bytes.length < 18) throw corrupt(`${bytes.length} bytes is shorter than the smallest gzip member (18 bytes)`);
    for (let at = 0; at < bytes.length; at += INPUT_CHUNK) inflater.push(bytes.subarray(at, Math.min(bytes.length, at + INPUT_CHUNK)));
    // An empty member after the data: fflate reports where it starts, which is where the last real
    // member's trailer ends — so trailing bytes and truncation cannot go unnoticed.
    inflater.push(SENTINEL, true);
  } catch (e) {
    if (sinkError !== undefined) throw sinkError;
    const message = (e as Error).message;
    throw corrupt(
      message === 'invalid gzip data'
        ? 'bytes after the end of a member are not another gzip member (trailing data, or a damaged stream)'
        : message,
    );
  }
  if (starts[starts.length - 1] !== bytes.length) throw corrupt('the last member is truncated or runs past the end of the file');
  starts.pop(); // the sentinel's own start and (empty) output
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  members.forEach((m, i) => {
    const end = starts[i + 1] ?? bytes.length;
    const label = members.length > 1 ? `member ${i + 1} of ${members.length}` : 'the stream';
    if (end - 8 < starts[i]! + 10) throw corrupt(`${label} is truncated (no CRC-32 and size trailer)`);
    checkMemberHeader(bytes, starts[i]!, end - 8, label, corrupt);
    const wantCrc = view.getUint32(end - 8, true);
    const wantSize = view.getUint32(end - 4, true);
    if (wantCrc !== m.crc) {
      throw corrupt(`CRC-32 of ${label} is ${hex(m.crc)}, but its trailer records ${hex(wantCrc)} (damaged or truncated data)`);
    }
    if (wantSize !== m.size % 2 ** 32) {
      throw corrupt(`${label} inflates to ${m.size} bytes, but its trailer records ${wantSize} (ISIZE)`);
    }
  });
}

/** RFC 1952 §2.3: reserved flag bits must be zero; an FHCRC header CRC must match. */
function checkMemberHeader(bytes: Uint8Array, start: number, end: number, label: string, corrupt: (why: string) => Error): void {
  const flags = bytes[start + 3]!;
  if (flags & 0xe0) throw corrupt(`${label} sets reserved header flags (0x${flags.toString(16)}); expected them zero`);
  if (!(flags & 0x02)) return;
  let p = start + 10;
  if (flags & 0x04) p += 2 + (bytes[p]! | (bytes[p + 1]! << 8));
  if (flags & 0x08) while (p < end && bytes[p++] !== 0);
  if (flags & 0x10) while (p < end && bytes[p++] !== 0);
  if (p + 2 > end) throw corrupt(`${label} has a header that runs past its data`);
  const want = bytes[p]! | (bytes[p + 1]! << 8);
  const got = crc32(bytes.subarray(start, p)) & 0xffff;
  if (want !== got) throw corrupt(`${label} has a header CRC of 0x${got.toString(16)}, but it records 0x${want.toString(16)}`);
}

/** gzip of nothing: header, an empty final stored block, CRC 0, ISIZE 0. */
const SENTINEL = Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0);

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}
