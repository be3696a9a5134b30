export * from './store-index.js';
export * from './behaviour-index.js';
