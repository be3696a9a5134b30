// Minimal typings for the `hashring` package (it ships none).
declare module 'hashring' {
  type Servers = string | string[] | Record<string, number | { weight?: number; vnodes?: number }>;
  interface Options {
    'vnode count'?: number;
    compatibility?: 'hash_ring' | 'ketama';
    replicas?: number;
    'max cache size'?: number;
    'default port'?: number;
  }
  class HashRing {
    constructor(servers?: Servers, algorithm?: string, options?: Options);
    get(key: string): string;
    range(key: string, size?: number, unique?: boolean): string[];
    add(servers: Servers): this;
    remove(server: string): this;
    has(server: string): boolean;
    reset(): this;
    end(): this;
  }
  export default HashRing;
}
