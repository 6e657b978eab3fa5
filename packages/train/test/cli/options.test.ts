import { InvalidArgumentError } from 'commander';
import { z } from 'zod';
import {
  choiceFlag,
  choiceListFlag,
  flagValue,
  intFlag,
  listFlag,
  integerText,
  positiveIntFlag,
  quoteChoices,
} from '../../src/cli/options';
import { deviceSchema, presetSchema } from '../../src/trainer/config';
import { METHODS, methodSchema } from '../../src/trainer/compare';

function rejection(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidArgumentError);
    return (e as Error).message;
  }
  throw new Error('expected an InvalidArgumentError');
}

describe('CLI flag parsers (one zod-based style)', () => {
  test('choices are the zod enums of the config and of compare', () => {
    expect(quoteChoices(['a'])).toBe("'a'");
    expect(quoteChoices(['a', 'b', 'c'])).toBe("'a', 'b' or 'c'");
    expect(choiceFlag('--preset', presetSchema)('paper')).toBe('paper');
    expect(rejection(() => choiceFlag('--preset', presetSchema)('gpu'))).toBe("--preset must be 'paper' or 'cpu', got 'gpu'");
    expect(choiceFlag('--device', deviceSchema)('cpu')).toBe('cpu');
    expect(METHODS).toEqual(methodSchema.options);
    expect(choiceListFlag('--methods', methodSchema)('mcsc, supervised')).toEqual(['mcsc', 'supervised']);
  });

  test('integers are written in decimal; lists name their bad item', () => {
    expect(intFlag('--seed')('-3')).toBe(-3);
    for (const bad of ['1.5', '1e3', '', 'x', '0x10'])
      expect(rejection(() => intFlag('--seed')(bad))).toBe(`--seed must be an integer, got '${bad}'`);
    expect(positiveIntFlag('--n')('12')).toBe(12);
    expect(rejection(() => positiveIntFlag('--n')('0'))).toBe("--n must be a positive integer, got '0'");
    expect(listFlag('--seeds', integerText, 'integers')('1, 2,3')).toEqual([1, 2, 3]);
    expect(rejection(() => listFlag('--seeds', integerText, 'integers')('1,x'))).toBe("--seeds must be comma-separated integers, got 'x'");
    expect(flagValue('--out', z.string().endsWith('.nii'), 'a .nii file')('a.nii')).toBe('a.nii');
  });
});
