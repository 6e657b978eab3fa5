/**
 * The hand-written ONNX encoder (onnx/proto-writer.ts + onnx-schema.ts) against protobufjs's encoder of
 * the official onnx.proto (the onnx-proto package, a dev dependency only): byte-identical models.
 */
import onnxProto from 'onnx-proto';
import { Graph, conv2d, emitModel, reshape, softmax } from '@mcsc/graph';
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
    expect(decoded.irVersion.toString()).toBe('10');
    expect(decoded.opsetImport[0]!.version.toString()).toBe('21');
    expect(decoded.graph!.node.length).toBeGreaterThan(10);
    const kinds = new Set(decoded.graph!.node.flatMap((n) => n.attribute.map((a) => a.type)));
    for (const kind of [1, 2, 7]) expect(kinds).toContain(kind); // FLOAT (LeakyRelu alpha), INT, INTS
    expect(Buffer.from(onnx.ModelProto.encode(decoded).finish()).equals(Buffer.from(bytes))).toBe(true);
  });

  test('a negative int attribute (Softmax axis −1) is written as a 10-byte varint and round-trips', () => {
    const g = new Graph({ training: false });
    const x = g.input('x', [1, 2, 4, 4]);
    const w = g.param('w', [3, 2, 3, 3]);
    const y = softmax(reshape(conv2d(x, w, undefined, { padding: 1 }), [1, 3, -1]), -1);
    const { bytes } = emitModel(g, { outputs: { y } });
    const decoded = onnx.ModelProto.decode(bytes);
    const axis = decoded.graph!.node.find((n) => n.opType === 'Softmax')!.attribute.find((a) => a.name === 'axis')!;
    expect(Number(axis.i)).toBe(-1);
    expect(Buffer.from(onnx.ModelProto.encode(decoded).finish()).equals(Buffer.from(bytes))).toBe(true);
  });
});

describe('ProtoWriter', () => {
  test('varints, negative int64 as ten bytes, floats, nested messages', () => {
    const bytes = new ProtoWriter().int(1, 300).int(2, -1).float(3, 1.5).message(4, (w) => w.string(1, 'é')).finish();
    expect([...bytes]).toEqual([
      0x08, 0xac, 0x02, // field 1 varint 300
      0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, // field 2 varint -1
      0x1d, 0x00, 0x00, 0xc0, 0x3f, // field 3 fixed32 1.5
      0x22, 0x04, 0x0a, 0x02, 0xc3, 0xa9, // field 4 { field 1 "é" }
    ]);
    expect(() => new ProtoWriter().int(1, 2 ** 60)).toThrow('not a safe integer');
  });
});
