export { CoreNode } from './core-node.js';
export { loadCoreConfig, coreConfigSchema, type CoreConfig } from './config.js';
