/**
 * How every `mcsc` command validates its flags: each flag that takes a value gets a commander argument
 * parser made here from a zod schema, so a bad value fails while the command line is parsed, with one
 * message shape: `<flag> must be <what>, got '<value>'`. Choices are read from the zod enums the
 * values end up in (the config's presets and devices, compare's methods), never listed by hand.
 */
import { InvalidArgumentError } from 'commander';
import { z } from 'zod';

/** `'a'`, `'a' or 'b'`, `'a', 'b' or 'c'`. */
export function quoteChoices(choices: readonly string[]): string {
  const quoted = choices.map((c) => `'${c}'`);
  return quoted.length <= 1 ? quoted.join('') : `${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)}`;
}

/**
 * A commander argument parser: the flag's text through `schema`; a rejected value is an
 * InvalidArgumentError `<flag> must be <expected>, got '<text>'`.
 */
export function flagValue<T>(flag: string, schema: z.ZodType<T>, expected: string): (text: string) => T {
  return (text) => {
    const result = schema.safeParse(text);
    if (!result.success) throw new InvalidArgumentError(`${flag} must be ${expected}, got '${text}'`);
    return result.data;
  };
}

/** A flag whose value is one of a zod enum's options. */
export function choiceFlag<const T extends string>(
  flag: string,
  schema: z.ZodType<T> & { readonly options: readonly T[] },
): (text: string) => T {
  return flagValue(flag, schema, quoteChoices(schema.options));
}

/** A comma-separated list, each item through `item`; the message names the first bad item. */
export function listFlag<T>(flag: string, item: z.ZodType<T>, expected: string): (text: string) => T[] {
  const one = flagValue(flag, item, `comma-separated ${expected}`);
  return (text) => text.split(',').map((s) => one(s.trim()));
}

/** A comma-separated list of a zod enum's options. */
export function choiceListFlag<const T extends string>(
  flag: string,
  schema: z.ZodType<T> & { readonly options: readonly T[] },
): (text: string) => T[] {
  return listFlag(flag, schema, quoteChoices(schema.options));
}

/** An integer written in decimal (no exponent, no fraction). */
export const integerText = z
  .string()
  .trim()
  .regex(/^[-+]?\d+$/)
  .transform(Number)
  .pipe(z.number().int().safe());

export const intFlag = (flag: string): ((text: string) => number) => flagValue(flag, integerText, 'an integer');
export const positiveIntFlag = (flag: string): ((text: string) => number) =>
  flagValue(flag, integerText.pipe(z.number().min(1)), 'a positive integer');
