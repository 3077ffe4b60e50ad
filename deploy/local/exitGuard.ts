const guarded = new Set<number>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function killGuarded(): void {
  for (const pid of guarded) {
    try {
      // Only synchronous work is possible in an 'exit' handler, and the data is throwaway: no grace period.
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  guarded.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  killGuarded();
  uninstall();
  // With our listener gone and no other one, re-raising gives the default behaviour: termination.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function install(): void {
  process.on('exit', killGuarded);
  for (const s of SIGNALS) process.on(s, onSignal);
}

function uninstall(): void {
  process.off('exit', killGuarded);
  for (const s of SIGNALS) process.off(s, onSignal);
}

/**
 * Kills the process `pid` if this Node process exits or is signalled before `release` is called,
 * so that servers never outlive the test run that started them.
 */
export function guardChildProcess(pid: number): () => void {
  if (guarded.size === 0) install();
  guarded.add(pid);
  return () => {
    if (guarded.delete(pid) && guarded.size === 0) uninstall();
  };
}
