/** The loop transport lives in src/testing so dialog and core tests reuse it; re-exported here. */
export {
  LoopNetwork,
  LoopTransport,
  ManualTimers,
  type LoopConditions,
  type LoopTraceEntry,
  type FailurePredicate,
} from '../../src/testing/index.js';
