import { main } from './main.ts';

const code = await main(process.argv.slice(2));
process.exitCode = code;
// Client libraries may keep idle sockets or timers open after a service stopped cleanly: leave
// them a moment to close, then exit with the command's code. The timer does not itself keep the
// process alive, so a command that is really done exits at once.
setTimeout(() => process.exit(code), 1_000).unref();
