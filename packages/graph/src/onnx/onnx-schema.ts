/**
 * The parts of `onnx.proto` (onnx 1.16; IR version 10) that the emitter writes: enum values and field
 * numbers, named as in the .proto file so each line can be checked against it.
 * https://github.com/onnx/onnx/blob/v1.16.0/onnx/onnx.proto
 * At the end: the string values of operator attributes that the ops emit, from the operator specs.
 */
import type { DType } from '../tensor.js';

/** TensorProto.DataType. */
export const TensorDataType = Object.freeze({ FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, BOOL: 9, FLOAT16: 10, DOUBLE: 11 });

/** The graph's dtypes as TensorProto.DataType (Cast's `to`, tensor element types). */
export const DTYPE_DATA_TYPE: Readonly<Record<DType, number>> = Object.freeze({
  float32: TensorDataType.FLOAT,
  int64: TensorDataType.INT64,
  bool: TensorDataType.BOOL,
});

/** AttributeProto.AttributeType. */
export const AttributeType = Object.freeze({ FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8 });

/** Field numbers per message. */
export const Field = Object.freeze({
  ModelProto: { ir_version: 1, producer_name: 2, graph: 7, opset_import: 8 },
  OperatorSetIdProto: { domain: 1, version: 2 },
  GraphProto: { node: 1, name: 2, initializer: 5, input: 11, output: 12 },
  NodeProto: { input: 1, output: 2, name: 3, op_type: 4, attribute: 5 },
  AttributeProto: { name: 1, f: 2, i: 3, s: 4, floats: 7, ints: 8, type: 20 },
  TensorProto: { dims: 1, data_type: 2, name: 8, raw_data: 9 },
  ValueInfoProto: { name: 1, type: 2 },
  TypeProto: { tensor_type: 1 },
  TypeProtoTensor: { elem_type: 1, shape: 2 },
  TensorShapeProto: { dim: 1 },
  TensorShapeProtoDimension: { dim_value: 1, dim_param: 2 },
});

/** Operator attribute values (https://onnx.ai/onnx/operators/): ScatterND / ScatterElements `reduction`. */
export const ScatterReduction = Object.freeze({ NONE: 'none', ADD: 'add', MUL: 'mul', MAX: 'max', MIN: 'min' } as const);

/** Pad `mode`. */
export const PadMode = Object.freeze({ CONSTANT: 'constant', REFLECT: 'reflect', EDGE: 'edge', WRAP: 'wrap' } as const);

/** Resize `mode`, `coordinate_transformation_mode` and `nearest_mode`. */
export const ResizeMode = Object.freeze({ NEAREST: 'nearest', LINEAR: 'linear', CUBIC: 'cubic' } as const);
export const CoordinateTransformationMode = Object.freeze({
  HALF_PIXEL: 'half_pixel',
  HALF_PIXEL_SYMMETRIC: 'half_pixel_symmetric',
  PYTORCH_HALF_PIXEL: 'pytorch_half_pixel',
  ALIGN_CORNERS: 'align_corners',
  ASYMMETRIC: 'asymmetric',
  TF_CROP_AND_RESIZE: 'tf_crop_and_resize',
} as const);
export const NearestMode = Object.freeze({
  ROUND_PREFER_FLOOR: 'round_prefer_floor',
  ROUND_PREFER_CEIL: 'round_prefer_ceil',
  FLOOR: 'floor',
  CEIL: 'ceil',
} as const);
