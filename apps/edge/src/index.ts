export { EdgeNode, parseCore } from './edge-node.js';
export { loadEdgeConfig, edgeConfigSchema, type EdgeConfig } from './config.js';
export { CoreRing, type CoreNode } from './ring.js';
export { statelessBranch } from './branch.js';
