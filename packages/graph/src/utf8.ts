/**
 * UTF-8 through the WHATWG Encoding API. TextEncoder and TextDecoder are globals in every runtime this
 * package targets (browsers, web workers, Node), but only the DOM lib and @types/node declare them, not
 * ES2022. The pure entry ('@mcsc/graph') is also compiled with lib ES2022 and no ambient types (it is
 * part of @mcsc/core's program, which must run without a DOM), so it reaches them through globalThis
 * with the two signatures it uses.
 */
interface EncodingApi {
  TextEncoder: new () => { encode(input: string): Uint8Array };
  TextDecoder: new (label: string, options: { fatal: boolean }) => { decode(input: Uint8Array): string };
}

const encoding = globalThis as unknown as EncodingApi;

export function encodeUtf8(text: string): Uint8Array {
  return new encoding.TextEncoder().encode(text);
}

/** Throws (a TypeError from the runtime) when `bytes` is not valid UTF-8. */
export function decodeUtf8Strict(bytes: Uint8Array): string {
  return new encoding.TextDecoder('utf-8', { fatal: true }).decode(bytes);
}
