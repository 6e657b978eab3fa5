/**
 * A minimal protocol-buffers writer: varints, fixed 32-bit floats and length-delimited fields, which is
 * all an ONNX ModelProto needs. Hand-written instead of protobufjs (through onnx-proto) for size: that
 * pair brings 22 MiB and an install script into every install of `@mcsc/graph`, for ~80 lines of work.
 * Wire format: https://protobuf.dev/programming-guides/encoding/ (tag = field << 3 | wire type).
 */
import { McscError } from '../errors.js';
import { encodeUtf8 } from '../utf8.js';

// Repeated scalars are written packed, as protobufjs does for onnx.proto3 (the encoder this replaced);
// protobuf parsers, onnxruntime's included, accept packed and unpacked alike.
const VARINT = 0;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

/** Writes one message; nested messages are written by a callback into a child writer. */
export class ProtoWriter {
  private chunks: Uint8Array[] = [];
  private scratch: number[] = [];
  private length = 0;

  /** An int32/int64/enum field (negative values as 10-byte two's complement, as protobuf does). */
  int(field: number, value: number): this {
    this.tag(field, VARINT);
    this.varint(value);
    return this;
  }

  /** A repeated int64 field, packed (one length-delimited run of varints), as onnx.proto3 declares it; none when empty. */
  ints(field: number, values: readonly number[]): this {
    return this.packed(field, values, (w, v) => w.varint(v));
  }

  float(field: number, value: number): this {
    this.tag(field, FIXED32);
    this.fixed32(value);
    return this;
  }

  /** A repeated float field, packed; none when empty. */
  floats(field: number, values: readonly number[]): this {
    return this.packed(field, values, (w, v) => w.fixed32(v));
  }

  private packed(field: number, values: readonly number[], write: (w: ProtoWriter, v: number) => void): this {
    if (values.length === 0) return this;
    const run = new ProtoWriter();
    for (const v of values) write(run, v);
    return this.bytes(field, run.finish());
  }

  string(field: number, value: string): this {
    return this.bytes(field, encodeUtf8(value));
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, LENGTH_DELIMITED);
    this.varint(value.length);
    this.flush();
    this.chunks.push(value);
    this.length += value.length;
    return this;
  }

  /** A nested message field. */
  message(field: number, write: (w: ProtoWriter) => void): this {
    const child = new ProtoWriter();
    write(child);
    return this.bytes(field, child.finish());
  }

  /** The encoded bytes (one copy of every chunk). */
  finish(): Uint8Array {
    this.flush();
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }

  private fixed32(value: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.scratch.push(...b);
  }

  private tag(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  private varint(value: number): void {
    if (!Number.isSafeInteger(value)) throw new McscError('ProtoWriter', `${value} is not a safe integer`);
    if (value < 0) {
      // Two's complement in 64 bits: ten 7-bit groups.
      let v = BigInt.asUintN(64, BigInt(value));
      for (let i = 0; i < 9; i++, v >>= 7n) this.scratch.push(Number(v & 0x7fn) | 0x80);
      this.scratch.push(Number(v));
      return;
    }
    while (value >= 0x80) {
      this.scratch.push((value % 0x80) | 0x80);
      value = Math.floor(value / 0x80);
    }
    this.scratch.push(value);
  }

  private flush(): void {
    if (this.scratch.length === 0) return;
    this.chunks.push(Uint8Array.from(this.scratch));
    this.length += this.scratch.length;
    this.scratch = [];
  }
}
