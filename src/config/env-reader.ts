/**
 * How a connector reads its SLUICE_<CONNECTOR>_* variables: one zod parser per variable, read from
 * the same `Environment` the core settings come from (load.ts). The rules every connector keeps:
 * - a missing or empty variable means "use the default" (`read` returns undefined);
 * - a bad value raises ConfigError naming the variable, with the parser's messages and never the
 *   value itself (it may be a secret);
 * - a secret may be given inline (VAR) or as a file (VAR_FILE), not both; a file that cannot be
 *   read is named with the error code only.
 * Each connector's config.ts keeps its own parsers, defaults and cross-variable rules.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../errors.ts';
import type { SettingDoc } from '../writer/types.ts';
import type { Environment } from './load.ts';

export type { Environment } from './load.ts';

/** A whole number in [min, max], written as plain digits. */
export function wholeNumber(min: number, max: number) {
  return z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
}

/** true/false, 1/0, yes/no. */
export const booleanText = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((text) => ['true', '1', 'yes'].includes(text));

/** A documentation entry; `required` and `secret` default to false. */
export function settingDoc(variable: string, description: string, options: { default?: string; required?: boolean; secret?: boolean } = {}): SettingDoc {
  return {
    variable,
    description,
    required: options.required ?? false,
    secret: options.secret ?? false,
    ...(options.default === undefined ? {} : { default: options.default }),
  };
}

export type VariableParsers = Readonly<Record<string, z.ZodTypeAny>>;

/** Where a secret came from: its value and the variable to name in a later error. */
export interface SecretSource<V extends string> {
  readonly value: string;
  readonly variable: V;
}

export interface EnvReader<P extends VariableParsers> {
  /** The parsed value, or undefined when the variable is unset or empty. */
  read<V extends keyof P & string>(env: Environment, variable: V): z.output<P[V]> | undefined;
  /** As `read`, but unset or empty is a ConfigError ('is required'). */
  required<V extends keyof P & string>(env: Environment, variable: V): z.output<P[V]>;
  /**
   * A secret given as `inlineVariable` or as a path in `fileVariable` (never both). The file's
   * text is returned as it is, or without one trailing newline when `trimNewline` is set.
   * `fileDescription` names the file in the error when it cannot be read ('password file', ...).
   */
  secret<I extends keyof P & string, F extends keyof P & string>(
    env: Environment,
    inlineVariable: I,
    fileVariable: F,
    options: { readonly fileDescription: string; readonly trimNewline: boolean },
  ): SecretSource<I | F> | undefined;
}

/**
 * A reader of the variables in `parsers`. Values are trimmed before parsing except those of the
 * `verbatim` variables (e.g. a PEM key whose whitespace is part of it).
 */
export function envReader<P extends VariableParsers>(parsers: P, options: { readonly verbatim?: readonly (keyof P & string)[] } = {}): EnvReader<P> {
  const verbatim = new Set<string>(options.verbatim ?? []);

  function read<V extends keyof P & string>(env: Environment, variable: V): z.output<P[V]> | undefined {
    const raw = env[variable];
    if (raw === undefined || raw === '') return undefined;
    const parsed = (parsers[variable] as P[V]).safeParse(verbatim.has(variable) ? raw : raw.trim());
    if (!parsed.success) throw new ConfigError(variable, parsed.error.issues.map((issue) => issue.message).join('; '));
    return parsed.data as z.output<P[V]>;
  }

  function required<V extends keyof P & string>(env: Environment, variable: V): z.output<P[V]> {
    const value = read(env, variable);
    if (value === undefined) throw new ConfigError(variable, 'is required');
    return value;
  }

  function secret<I extends keyof P & string, F extends keyof P & string>(
    env: Environment,
    inlineVariable: I,
    fileVariable: F,
    secretOptions: { readonly fileDescription: string; readonly trimNewline: boolean },
  ): SecretSource<I | F> | undefined {
    const inline = read(env, inlineVariable);
    const file = read(env, fileVariable);
    if (inline !== undefined && file !== undefined) {
      throw new ConfigError(fileVariable, `set either ${inlineVariable} or ${fileVariable}, not both`);
    }
    if (file === undefined) return inline === undefined ? undefined : { value: String(inline), variable: inlineVariable };
    const text = readSettingFile(fileVariable, String(file), secretOptions.fileDescription);
    return { value: secretOptions.trimNewline ? text.replace(/\r?\n$/, '') : text, variable: fileVariable };
  }

  return { read, required, secret };
}

/**
 * The text of a file a setting points to. A failure names the variable and the error code
 * (ENOENT, EACCES, ...), never the path's contents.
 */
export function readSettingFile(variable: string, path: string, description = 'file'): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
    throw new ConfigError(variable, `cannot read the ${description} (${reason})`);
  }
}
