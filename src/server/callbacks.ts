// Turns the config's `callbacks` map into six callable hooks, checking every [Class, 'method'] up front.
import type { CallbackSpec } from '../config/schema';
import { didYouMean, OdyError } from '../errors';
import { EVENT_NAMES, type EventName } from './events';
import type { Hooks } from './types';

export type ResolvedHooks = { [E in EventName]?: Hooks[E] };

/** Public method names of a class's instances and of the class itself, for "did you mean". */
function methodNames(target: object): string[] {
  const names = new Set<string>();
  for (let o: object | null = target; o && o !== Object.prototype && o !== Function.prototype; o = Object.getPrototypeOf(o)) {
    for (const name of Object.getOwnPropertyNames(o)) if (name !== 'constructor') names.add(name);
  }
  return [...names];
}

/**
 * Resolves each spec. A [Class, 'method'] pair uses the static method when there is one, else an
 * instance method on one instance per class (shared by that class's events, so instance state works).
 */
export function resolveHooks(callbacks: Partial<Record<EventName, CallbackSpec>>): ResolvedHooks {
  const instances = new Map<unknown, object>();
  const hooks: ResolvedHooks = {};
  for (const event of EVENT_NAMES) {
    const spec = callbacks[event];
    if (spec === undefined || spec === null) continue;
    hooks[event] = resolveCallback(spec, `callbacks.${event}`, instances) as never;
  }
  return hooks;
}

/**
 * One spec to a callable: a function as is, [Class, 'method'] bound to the class (static) or to the one
 * instance of it kept in `instances`. `key` names the config entry in errors, e.g. "callbacks.open".
 */
export function resolveCallback(spec: CallbackSpec, key: string, instances: Map<unknown, object>): (...args: never[]) => unknown {
  if (typeof spec === 'function') return spec;
  if (!Array.isArray(spec) || spec.length !== 2 || typeof spec[1] !== 'string' || spec[0] === null || !['function', 'object'].includes(typeof spec[0])) {
    throw new OdyError(`config ${key}: expected [Class, 'method'] or a function`, 'E_CALLBACK');
  }
  const [target, method] = spec as [object, string];
  const className = typeof target === 'function' ? target.name || '(anonymous class)' : target.constructor?.name ?? 'object';
  const own = (target as Record<string, unknown>)[method];
  if (typeof own === 'function') return (own as (...a: unknown[]) => unknown).bind(target);
  if (typeof target === 'function' && typeof (target.prototype as Record<string, unknown> | undefined)?.[method] === 'function') {
    let instance = instances.get(target);
    if (!instance) {
      try {
        instance = new (target as new () => object)();
      } catch (error) {
        throw new OdyError(`config ${key}: could not create ${className}: ${(error as Error).message}`, 'E_CALLBACK');
      }
      instances.set(target, instance);
    }
    return ((instance as Record<string, unknown>)[method] as (...a: unknown[]) => unknown).bind(instance);
  }
  const candidates = [...methodNames(target), ...(typeof target === 'function' ? methodNames(target.prototype as object) : [])];
  throw new OdyError(`config ${key}: ${className} has no method '${method}'${didYouMean(method, candidates)}`, 'E_CALLBACK');
}
