/**
 * Lua scripts with named keys and arguments. A script declares its KEYS and ARGV once,
 * beside its source, which reads them as KEY.<name> and ARG.<name>; call sites pass
 * objects (`script.run(redis, { keys: { job }, args: { record } })`), never positions.
 * On a Cluster every key a script touches must share one hash tag (keys.ts gives them all one).
 */
import type { RedisClient } from '../redis-connection.js';

type Value = string | number;

export interface ScriptCall<K extends string, OK extends string, A extends string, OA extends string> {
  keys: Record<K, string> & Partial<Record<OK, string | undefined>>;
  args: Record<A, Value> & Partial<Record<OA, Value | undefined>>;
}

export interface Script<K extends string, OK extends string, A extends string, OA extends string, R> {
  /** EVAL's own arguments: the source, the number of keys, then the keys and the arguments, each in declared order. */
  evalArguments(call: ScriptCall<K, OK, A, OA>): [string, number, ...string[]];
  /** Reads the script's reply (also for replies that came through a pipeline). */
  reply(raw: unknown): R;
  run(redis: RedisClient, call: ScriptCall<K, OK, A, OA>): Promise<R>;
}

export interface ScriptSpec<K extends string, OK extends string, A extends string, OA extends string, R> {
  keys: readonly K[];
  /** Keys after `keys`, which a call may leave out (then KEY.<name> is nil); if one is given, so are the ones before it. */
  optionalKeys?: readonly OK[];
  args: readonly A[];
  /** Likewise for arguments. */
  optionalArgs?: readonly OA[];
  /** The script: KEY.<name> and ARG.<name> are bound before it runs. */
  lua: string;
  reply: (raw: unknown) => R;
}

const LUA_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `local KEY = { job = KEYS[1], ... }`: the only place a position is written. */
function binding(table: string, array: string, names: readonly string[]): string {
  for (const name of names) if (!LUA_NAME.test(name)) throw new Error(`${name} is not a Lua name`);
  return `local ${table} = { ${names.map((name, i) => `${name} = ${array}[${i + 1}]`).join(', ')} }`;
}

/** Values in declared order; the optional ones up to the last given (a gap would shift every later position). */
function inOrder(what: string, values: Record<string, Value | undefined>, required: readonly string[], optional: readonly string[]): string[] {
  const out = required.map((name) => {
    const value = values[name];
    if (value === undefined) throw new Error(`${what} ${name} is missing`);
    return String(value);
  });
  const given = optional.map((name) => values[name]);
  const last = given.findLastIndex((value) => value !== undefined);
  for (const [i, value] of given.slice(0, last + 1).entries()) {
    if (value === undefined) throw new Error(`${what} ${optional[i]!} is missing, but a later one is given`);
    out.push(String(value));
  }
  return out;
}

export function defineScript<K extends string, A extends string, R, OK extends string = never, OA extends string = never>(
  spec: ScriptSpec<K, OK, A, OA, R>,
): Script<K, OK, A, OA, R> {
  const keyNames = [...spec.keys, ...(spec.optionalKeys ?? [])];
  const argNames = [...spec.args, ...(spec.optionalArgs ?? [])];
  const source = `${binding('KEY', 'KEYS', keyNames)}\n${binding('ARG', 'ARGV', argNames)}\n${spec.lua}`;
  const script: Script<K, OK, A, OA, R> = {
    evalArguments(call) {
      const keys = inOrder('key', call.keys, spec.keys, spec.optionalKeys ?? []);
      const args = inOrder('argument', call.args, spec.args, spec.optionalArgs ?? []);
      return [source, keys.length, ...keys, ...args];
    },
    reply: spec.reply,
    async run(redis, call) {
      return spec.reply(await redis.eval(...script.evalArguments(call)));
    },
  };
  return script;
}
