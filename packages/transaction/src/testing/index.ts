export {
  LoopNetwork,
  LoopTransport,
  type LoopConditions,
  type LoopTraceEntry,
  type FailurePredicate,
} from './loop-transport.js';
export { ManualTimers } from './manual-timers.js';
