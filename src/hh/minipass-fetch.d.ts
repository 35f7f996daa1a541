// minipass-fetch ships no types; this is the part fetch-engine.ts uses.
declare module 'minipass-fetch' {
  interface MinipassFetch {
    (url: string, init: object): Promise<unknown>;
    Headers: new (init?: unknown) => unknown;
  }
  const fetch: MinipassFetch;
  export default fetch;
}
