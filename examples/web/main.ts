/**
 * The demo page: loads the two exported models (models/cnn.onnx and models/transformer.onnx next to
 * the page, or files the user picks), opens a NIfTI volume or a PNG, segments it with the CNN, the
 * Transformer or their ensemble, and draws the overlay slice by slice with a legend.
 *
 * `window.mcsc` exposes the page's state for tests and benchmarks; they drive the page through its
 * inputs and read the result from there.
 */
import {
  SegmentationModel,
  Segmenter,
  classColourCss,
  decodeImageFile,
  imageRange,
  niftiToFloat32,
  niftiToStack,
  overlayRgba,
  parseNifti,
  rgbaToPlanes,
  stackLayout,
  webRuntime,
  type WebDevice,
  type WebRuntime,
} from '@mcsc/infer/browser';

type Mode = 'cnn' | 'transformer' | 'ensemble';

/** The last segmentation the page shows. */
interface PageResult {
  readonly mode: Mode;
  readonly file: string;
  /** [D, H, W] of the label stack (D = 1 for a picture). */
  readonly shape: readonly [number, number, number];
  readonly classes: number;
  readonly labels: Uint8Array;
  readonly milliseconds: number;
}

/** What the page exposes on `window.mcsc`. */
export interface PageHook {
  /** Settles once the startup model loading is over (models may still be missing: see `models`). */
  readonly ready: Promise<void>;
  readonly runtime: () => WebRuntime | null;
  readonly models: Partial<Record<'cnn' | 'transformer', SegmentationModel>>;
  /** A segmenter for a mode (throws if its models are not loaded). */
  readonly segmenter: (mode: Mode) => Segmenter;
  result: PageResult | null;
  error: string | null;
  /** Increments after every finished (or failed) run. */
  runs: number;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const params = new URLSearchParams(location.search);
const status = $<HTMLParagraphElement>('status');
const canvas = $<HTMLCanvasElement>('canvas');
const slider = $<HTMLInputElement>('slice');
const alpha = $<HTMLInputElement>('alpha');

let runtime: WebRuntime | null = null;
const models: PageHook['models'] = {};
/** The opened image as a stack [D, C, H, W], and its grey window. */
let image: { name: string; stack: Float32Array; shape: [number, number, number, number]; window: [number, number] } | null = null;

const hook: PageHook = {
  ready: start(),
  runtime: () => runtime,
  models,
  segmenter,
  result: null,
  error: null,
  runs: 0,
};
(window as unknown as { mcsc: PageHook }).mcsc = hook;

function say(text: string, isError = false): void {
  status.textContent = text;
  status.className = isError ? 'error' : '';
  if (isError) hook.error = text;
}

async function start(): Promise<void> {
  try {
    const threads = params.get('threads');
    runtime = await webRuntime({
      device: (params.get('device') as WebDevice | null) ?? 'auto',
      ...(threads !== null ? { threads: Number(threads) } : {}),
    });
    say(`runtime: ${runtime.description}`);
    const which = (['cnn', 'transformer'] as const).map(async (name) => {
      const url = params.get(name) ?? `models/${name}.onnx`;
      try {
        models[name] = await SegmentationModel.load(runtime!, new URL(url, location.href).href);
      } catch (e) {
        console.warn(`${name}: ${(e as Error).message}`);
      }
    });
    await Promise.all(which);
    showModels();
  } catch (e) {
    say((e as Error).message, true);
  }
}

function showModels(): void {
  const line = (name: 'cnn' | 'transformer') => {
    const info = models[name]?.info;
    return info
      ? `${name}: ${info.source.split('/').pop()} — ${info.channels}×${info.height}×${info.width} → ${info.classes} classes`
      : `${name}: not loaded (pick a .onnx file)`;
  };
  $('models').textContent = `${line('cnn')}\n${line('transformer')}`;
  $('models').style.whiteSpace = 'pre-wrap';
  const mode = $<HTMLSelectElement>('mode');
  for (const option of Array.from(mode.options)) {
    option.disabled = option.value === 'ensemble' ? !(models.cnn && models.transformer) : !models[option.value as 'cnn' | 'transformer'];
  }
  if (mode.selectedOptions[0]?.disabled) mode.value = Array.from(mode.options).find((o) => !o.disabled)?.value ?? mode.value;
  $<HTMLButtonElement>('run').disabled = !(models.cnn || models.transformer);
}

function segmenter(mode: Mode): Segmenter {
  const chosen = mode === 'ensemble' ? [models.cnn, models.transformer] : [models[mode]];
  if (chosen.some((m) => !m)) throw new Error(`${mode}: its model${mode === 'ensemble' ? 's are' : ' is'} not loaded`);
  return Segmenter.fromModels(chosen as SegmentationModel[]);
}

/** Reads the picked file: NIfTI (by its bytes) or any picture the browser decodes. */
async function openImage(file: File, channels: number): Promise<NonNullable<typeof image>> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const isNifti = /\.nii(\.gz)?$/i.test(file.name) || (bytes[0] === 0x1f && bytes[1] === 0x8b);
  if (isNifti) {
    const volume = parseNifti(bytes, file.name);
    const layout = stackLayout(volume.dims, 2, `NIfTI file ${file.name}`);
    if (layout.channels !== channels) {
      throw new Error(
        `NIfTI file ${file.name}: ${layout.channels} channels (dims [${volume.dims.join(', ')}]), but the model expects ${channels}`,
      );
    }
    const stack = niftiToStack(niftiToFloat32(volume), layout);
    return { name: file.name, stack, shape: [...layout.shape], window: imageRange(stack) };
  }
  const { rgba, width, height } = await decodeImageFile(file, file.name);
  const stack = rgbaToPlanes(rgba, width, height, channels, file.name);
  return { name: file.name, stack, shape: [1, channels, height, width], window: imageRange(stack) };
}

async function run(): Promise<void> {
  const mode = $<HTMLSelectElement>('mode').value as Mode;
  const file = $<HTMLInputElement>('volume').files?.[0];
  hook.error = null;
  try {
    if (!file) throw new Error('pick a NIfTI volume or a PNG first');
    const seg = segmenter(mode);
    image = await openImage(file, seg.channels);
    say(`segmenting ${image.name} with ${mode} …`);
    const started = performance.now();
    const result = await seg.segmentVolume(image.stack, image.shape, {
      intensity: 'minmax',
      onProgress: (done, total) => say(`segmenting ${image!.name} with ${mode}: ${done}/${total} slices`),
    });
    const [d, , h, w] = image.shape;
    hook.result = {
      mode,
      file: file.name,
      shape: [d, h, w],
      classes: result.classes,
      labels: result.labels,
      milliseconds: performance.now() - started,
    };
    slider.max = String(d - 1);
    slider.value = String(Math.floor(d / 2));
    showLegend(result.classes);
    draw();
    say(
      `${file.name}: ${d} slice${d === 1 ? '' : 's'} of ${h}×${w} with ${mode} in ${hook.result.milliseconds.toFixed(0)} ms (${runtime?.description})`,
    );
  } catch (e) {
    say((e as Error).message, true);
  } finally {
    hook.runs++;
  }
}

function draw(): void {
  const result = hook.result;
  if (!image || !result) return;
  const [, c, h, w] = image.shape;
  const z = Number(slider.value);
  const grey = image.stack.subarray(z * c * h * w, z * c * h * w + h * w);
  const labels = result.labels.subarray(z * h * w, (z + 1) * h * w);
  const rgba = overlayRgba(grey, labels, h, w, { alpha: Number(alpha.value) / 100, window: image.window });
  canvas.width = w;
  canvas.height = h;
  canvas.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(rgba), w, h), 0, 0);
  $('slice-out').textContent = `${z + 1} / ${result.shape[0]}`;
}

function showLegend(classes: number): void {
  const names = (params.get('classes') ?? '').split(',').filter(Boolean);
  const legend = $('legend');
  legend.replaceChildren(
    ...Array.from({ length: classes }, (_, k) => {
      const item = document.createElement('li');
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.background = k === 0 ? 'transparent' : classColourCss(k);
      item.append(swatch, `${k}: ${names[k] ?? (k === 0 ? 'background' : `class ${k}`)}`);
      return item;
    }),
  );
}

async function pickModel(name: 'cnn' | 'transformer', input: HTMLInputElement): Promise<void> {
  const file = input.files?.[0];
  if (!file || !runtime) return;
  try {
    const loaded = await SegmentationModel.load(runtime, new Uint8Array(await file.arrayBuffer()));
    await models[name]?.release();
    models[name] = loaded;
    showModels();
  } catch (e) {
    say(`${file.name}: ${(e as Error).message}`, true);
  }
}

$<HTMLButtonElement>('run').addEventListener('click', () => void run());
slider.addEventListener('input', draw);
alpha.addEventListener('input', draw);
$<HTMLInputElement>('cnn-file').addEventListener('change', (e) => void pickModel('cnn', e.target as HTMLInputElement));
$<HTMLInputElement>('transformer-file').addEventListener('change', (e) => void pickModel('transformer', e.target as HTMLInputElement));
