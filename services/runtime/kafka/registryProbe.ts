/** Whether the schema registry answered its last health probe. */
export interface RegistryProbe {
  readonly ok: boolean;
  readonly reason: string | null;
  stop(): void;
}

/**
 * Asks the registry's `/subjects` every `intervalMs` (with a timeout), so /readyz can say whether
 * the service still reaches the registry; decoders are cached, so a registry outage shows here
 * before it shows in processing.
 */
export function startRegistryProbe(options: { registryUrl: string; auth?: { username: string; password: string }; intervalMs?: number; timeoutMs?: number }): RegistryProbe {
  let ok = true;
  let reason: string | null = null;
  const headers: Record<string, string> = {};
  if (options.auth) headers.authorization = `Basic ${Buffer.from(`${options.auth.username}:${options.auth.password}`).toString('base64')}`;
  const probe = async (): Promise<void> => {
    try {
      const res = await fetch(`${options.registryUrl.replace(/\/+$/, '')}/subjects`, { headers, signal: AbortSignal.timeout(options.timeoutMs ?? 3_000) });
      ok = res.ok;
      reason = res.ok ? null : `schema registry answered ${res.status}`;
    } catch (err) {
      ok = false;
      reason = `schema registry unreachable: ${err instanceof Error ? err.message : String(err)}`;
    }
  };
  const timer = setInterval(() => void probe(), options.intervalMs ?? 10_000);
  timer.unref();
  return {
    get ok() {
      return ok;
    },
    get reason() {
      return reason;
    },
    stop: () => clearInterval(timer),
  };
}
