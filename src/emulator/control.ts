/**
 * The emulator's testing control API under /_emulator/ (unsigned): faults, latency,
 * callback mode, ending jobs, and what was called. Tests in process use the Emulator
 * object directly; this is for an emulator in another process.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Emulator, Fault } from './create-emulator.js';
import { parseJsonLoose, readBody } from './http.js';
import { parseRateLimits } from '../budget/rate-limits.js';
import type { CallbackMode, JobWorld, TerminalOutcome } from './job-world.js';

const MAX_JSON_BODY = 1024 * 1024;

export function createControl(emulator: () => Emulator, world: JobWorld) {
  return async function control(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const body = req.method === 'POST' ? parseJsonLoose(await readBody(req, MAX_JSON_BODY)) : {};
    const ok = (value: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    const parts = url.pathname.split('/').filter(Boolean); // ['_emulator', ...]
    const fail = (error: string) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error }));
    };
    if (parts[1] === 'faults' && req.method === 'POST') {
      emulator().addFault(body as Fault);
      return ok({ ok: true });
    }
    if (parts[1] === 'latency' && req.method === 'POST') {
      emulator().setLatency(Number((body as { ms?: unknown }).ms) || 0);
      return ok({ ok: true });
    }
    if (parts[1] === 'callbacks' && req.method === 'POST') {
      world.callbackMode = ((body as { mode?: CallbackMode }).mode ?? 'normal') as CallbackMode;
      return ok({ ok: true });
    }
    if (parts[1] === 'callbacks' && req.method === 'GET') return ok(world.callbacks);
    if (parts[1] === 'rate-limits' && req.method === 'POST') {
      const limits = String((body as { limits?: unknown }).limits ?? 'off').trim();
      try {
        emulator().setRateLimits(limits === 'off' ? 'off' : parseRateLimits(limits));
      } catch (error) {
        return fail((error as Error).message);
      }
      return ok({ ok: true });
    }
    if (parts[1] === 'calls' && req.method === 'GET') return ok(emulator().calls);
    if (parts[1] === 'reset' && req.method === 'POST') {
      emulator().reset();
      return ok({ ok: true });
    }
    if (parts[1] === 'jobs' && parts[2] === 'complete' && !parts[3] && req.method === 'POST') {
      // Many jobs ending within a span of time, without one control call each (benchmarks).
      const { jobIds, withinMs } = body as { jobIds?: unknown; withinMs?: unknown };
      if (!Array.isArray(jobIds) || !jobIds.every((id) => typeof id === 'string')) return fail('jobIds must be an array of strings');
      const spread = typeof withinMs === 'number' && withinMs > 0 ? withinMs : 0;
      jobIds.forEach((jobId, i) => setTimeout(() => world.complete(jobId), (i * spread) / jobIds.length).unref());
      return ok({ ok: true, jobs: jobIds.length });
    }
    if (parts[1] === 'jobs' && parts[2] && parts[3] === 'complete' && req.method === 'POST') {
      const state = (body as { state?: TerminalOutcome }).state;
      return ok({ ok: world.complete(parts[2], state) });
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'unknown control endpoint' }));
  };
}
