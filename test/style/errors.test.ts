/**
 * One error type and style in every package (docs/architecture.md#errors): library code throws
 * McscError (`<where>: <problem>`), never a bare Error, RangeError or TypeError. Scans the sources, so a
 * new `throw new Error(…)` fails here with its file and line.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { failedTo, formatValue, invalidValue, McscError, messageOf } from '@mcsc/graph';

const root = join(__dirname, '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

test('no package source constructs a bare Error, RangeError or TypeError', () => {
  const files = ['graph', 'core', 'infer', 'train'].flatMap((p) => sources(join(root, 'packages', p, 'src')));
  expect(files.length).toBeGreaterThan(100);
  const found: string[] = [];
  for (const file of files) {
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (/\bnew (Error|RangeError|TypeError|SyntaxError)\(/.test(line)) found.push(`${relative(root, file)}:${i + 1}: ${line.trim()}`);
      });
  }
  expect(found).toEqual([]);
});

describe('McscError', () => {
  test('message is `where: problem`; fields kept', () => {
    const cause = new Error('EACCES: permission denied\n  at somewhere');
    const e = failedTo('model /m.onnx', 'cannot read', cause);
    expect(e).toBeInstanceOf(McscError);
    expect(e).toBeInstanceOf(Error);
    expect(e.message).toBe('model /m.onnx: cannot read: EACCES: permission denied');
    expect([e.where, e.problem, e.cause]).toEqual(['model /m.onnx', 'cannot read: EACCES: permission denied', cause]);
    expect(invalidValue('zoom', 'size', 'must be two positive integers', [0, 4]).message).toBe(
      'zoom: size must be two positive integers, got [0, 4]',
    );
  });

  test('instanceof holds for an McscError of another copy of the module, and not for look-alikes', () => {
    const brand = Symbol.for('@mcsc/graph.McscError');
    const foreign = Object.defineProperty(new Error('x: y'), brand, { value: true });
    expect(foreign).toBeInstanceOf(McscError);
    expect(new Error('x: y')).not.toBeInstanceOf(McscError);
    expect({ name: 'McscError', message: 'x: y' }).not.toBeInstanceOf(McscError);
    class Narrower extends McscError {}
    expect(new McscError('a', 'b')).not.toBeInstanceOf(Narrower);
    expect(new Narrower('a', 'b')).toBeInstanceOf(McscError);
  });

  test('values are rendered briefly', () => {
    expect(formatValue('a')).toBe('"a"');
    expect(formatValue(new Float32Array(10))).toBe('[0, 0, 0, 0, 0, 0, 0, 0, … (10 items)]');
    expect(formatValue(3n)).toBe('3n');
    expect(messageOf({ message: 'from another realm\nstack' })).toBe('from another realm');
    expect(messageOf(42)).toBe('42');
  });
});
