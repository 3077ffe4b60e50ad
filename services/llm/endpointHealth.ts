import { RuntimeConfigError } from '../errors/medistillErrors.ts';

/** Settings of an endpoint's circuit breaker. */
export interface EndpointHealthOptions {
  /** Consecutive failed calls (429 storm, 5xx, timeouts, unreachable) that take the endpoint out; default 3. */
  failureThreshold?: number;
  /** How long it stays out the first time; doubled on every failed probe up to maxCooldownMs. Default 15 s. */
  cooldownMs?: number;
  /** Longest time out; default 5 min. */
  maxCooldownMs?: number;
  /** Clock in milliseconds; Date.now by default. */
  now?: () => number;
}

/** Circuit breaker of one endpoint: up, out for a cooldown, or letting one probe through. */
export interface EndpointHealth {
  /** Whether a call may be sent now; in the probing state only one call at a time is let through. */
  available(): boolean;
  /** Takes the probe slot when probing (call after available() said yes). */
  begin(): void;
  /** A call succeeded: the endpoint is up again. Returns true when this brought it back. */
  success(): boolean;
  /** A call failed in a way that says the endpoint is unwell. Returns true when this took it out. */
  failure(): boolean;
  /** Milliseconds until it may be tried again, 0 when available. */
  readonly retryInMs: number;
  readonly up: boolean;
  /** True while a probe call is let through an endpoint that is out. */
  readonly probing: boolean;
}

/**
 * Creates a circuit breaker: closed (up) until `failureThreshold` consecutive failures, then open
 * for a cooldown, then half-open: one probe call decides between closed and a longer open.
 */
export function createEndpointHealth(options: EndpointHealthOptions = {}): EndpointHealth {
  const threshold = options.failureThreshold ?? 3;
  const baseCooldown = options.cooldownMs ?? 15_000;
  const maxCooldown = options.maxCooldownMs ?? 300_000;
  const now = options.now ?? Date.now;
  if (!Number.isInteger(threshold) || threshold < 1) throw new RuntimeConfigError(`endpoint health: failureThreshold must be an integer >= 1, got ${threshold}`);
  if (!(baseCooldown >= 0) || !(maxCooldown >= baseCooldown)) {
    throw new RuntimeConfigError(`endpoint health: need 0 <= cooldownMs (${baseCooldown}) <= maxCooldownMs (${maxCooldown})`);
  }
  let failures = 0;
  let openUntil = 0;
  let cooldown = baseCooldown;
  let open = false;
  let probing = false;

  return {
    available() {
      if (!open) return true;
      return now() >= openUntil && !probing;
    },
    begin() {
      if (open && now() >= openUntil) probing = true;
    },
    success() {
      failures = 0;
      probing = false;
      if (!open) return false;
      open = false;
      cooldown = baseCooldown;
      return true;
    },
    failure() {
      if (open) {
        // A failed probe: out again, for longer.
        if (probing) {
          probing = false;
          cooldown = Math.min(maxCooldown, cooldown * 2);
          openUntil = now() + cooldown;
        }
        return false;
      }
      failures += 1;
      if (failures < threshold) return false;
      open = true;
      openUntil = now() + cooldown;
      return true;
    },
    get retryInMs() {
      return open ? Math.max(0, openUntil - now()) : 0;
    },
    get up() {
      return !open;
    },
    get probing() {
      return probing;
    },
  };
}
