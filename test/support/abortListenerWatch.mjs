// Loaded into a medistill child process by tests (`node --import`): warns, as Node 20 did, when one
// AbortSignal holds more than 10 abort listeners at once. Node 24 puts no listener limit on
// AbortSignal, so a pile-up of listeners on one shared signal (concurrent requests each listening on
// a stage's stop signal) would otherwise go unseen; with this, it prints a
// MaxListenersExceededWarning on stderr that a test can look for.
/* global AbortSignal, EventTarget, process */
import { getEventListeners } from 'node:events';

const LIMIT = 10;
const warned = new WeakSet();
const add = EventTarget.prototype.addEventListener;

Object.defineProperty(AbortSignal.prototype, 'addEventListener', {
  configurable: true,
  writable: true,
  value: function addEventListener(type, listener, options) {
    add.call(this, type, listener, options);
    if (type !== 'abort' || warned.has(this)) return;
    const count = getEventListeners(this, 'abort').length;
    if (count > LIMIT) {
      warned.add(this);
      process.emitWarning(`Possible EventTarget memory leak detected. ${count} abort listeners added to [AbortSignal]. MaxListeners is ${LIMIT}.`, 'MaxListenersExceededWarning');
    }
  },
});
