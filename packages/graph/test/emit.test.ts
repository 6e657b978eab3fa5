/**
 * The hand-written ONNX encoder (onnx/proto-writer.ts + onnx-schema.ts) against protobufjs's encoder of
 * the official onnx.proto (the onnx-proto package, a dev dependency only): byte-identical models.
 */
import onnxProto from 'onnx-proto';
import { Graph, emitModel } from '../src/index';
import { ProtoWriter } from '../src/onnx/proto-writer';
import { tinyNet } from './tiny-net';

const { onnx } = onnxProto;

describe('emitModel', () => {
  test.each([
    ['tiny training net, batch fixed', false],
    ['tiny training net, dynamic batch', true],
  ])('%s: decodes with onnx.proto and re-encodes to the same bytes', (_name, dynamicBatch) => {
    const g = new Graph({ training: true });
    const built = tinyNet({ batch: 2, size: 8, dropoutP: 0.2 })(g);
    const { bytes } = emitModel(g, { outputs: { loss: built.loss!, ...built.outputs }, dynamicBatch: dynamicBatch as boolean });
    const decoded = onnx.ModelProto.decode(bytes);
    expect(decoded.irVersion!.toString()).toBe('10');
    expect(decoded.opsetImport![0]!.version!.toString()).toBe('21');
    expect(decoded.graph!.node!.length).toBeGreaterThan(10);
    const kinds = new Set(decoded.graph!.node!.flatMap((n) => n.attribute!.map((a) => a.type)));
    for (const kind of [1, 2, 7]) expect(kinds).toContain(kind); // FLOAT (LeakyRelu alpha), INT, INTS
    expect(Buffer.from(onnx.ModelProto.encode(decoded).finish()).equals(Buffer.from(bytes))).toBe(true);
  });

  test('an inference model with baked-in weights (initializers) and a dynamic batch re-encodes to the same bytes', () => {
    const g = new Graph({ training: false });
    const built = tinyNet({ batch: 1, size: 8 })(g);
    const weights = new Map(
      [...g.params, ...g.states].map(
        (t) => [t.name, t.dtype === 'int64' ? new BigInt64Array(t.size) : new Float32Array(t.size).fill(0.5)] as const,
      ),
    );
    const { bytes, inputs } = emitModel(g, { outputs: { probs: built.outputs!.probs! }, initializers: weights, dynamicBatch: true });
    expect(inputs.map((t) => t.name)).toEqual(['image']);
    const decoded = onnx.ModelProto.decode(bytes);
    // Every parameter and running statistic the eval graph reads is baked in (num_batches_tracked is not read).
    const baked = decoded.graph!.initializer!.map((t) => t.name);
    expect(baked).toEqual(expect.arrayContaining([...weights.keys()].filter((k) => !k.endsWith('num_batches_tracked'))));
    expect(decoded.graph!.input![0]!.type!.tensorType!.shape!.dim![0]!.dimParam).toBe('N');
    expect(Buffer.from(onnx.ModelProto.encode(decoded).finish()).equals(Buffer.from(bytes))).toBe(true);
  });
});

describe('ProtoWriter', () => {
  test('varints, negative int64 as ten bytes, floats, nested messages', () => {
    const bytes = new ProtoWriter()
      .int(1, 300)
      .int(2, -1)
      .float(3, 1.5)
      .message(4, (w) => w.string(1, 'é'))
      .finish();
    expect([...bytes]).toEqual([
      0x08,
      0xac,
      0x02, // field 1 varint 300
      0x10,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0x01, // field 2 varint -1
      0x1d,
      0x00,
      0x00,
      0xc0,
      0x3f, // field 3 fixed32 1.5
      0x22,
      0x04,
      0x0a,
      0x02,
      0xc3,
      0xa9, // field 4 { field 1 "é" }
    ]);
    expect(() => new ProtoWriter().int(1, 2 ** 60)).toThrow('not a safe integer');
  });
});
