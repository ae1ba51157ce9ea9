// What the bundles get for `undici` (scripts/bundle.ts). @actions/http-client imports it at its
// top for ProxyAgent alone, which it builds only when it sends a request through a forward
// proxy; @actions/core loads @actions/http-client at start (for OIDC tokens). Evaluated at
// start, undici cost every process of the action about 50 ms and 25 MiB; behind this class it
// is loaded the first time a ProxyAgent is made, and never in the step, whose requests are
// node:http's own.
// Bundled, require() of a package is resolved by esbuild: the real undici is in the bundle, evaluated only when called.
declare const require: (id: string) => unknown

type Undici = { ProxyAgent: new (options: unknown) => object }

export class ProxyAgent {
  constructor(options: unknown) {
    // require(), not import(): a constructor is synchronous.
    const undici = require('undici') as Undici
    return new undici.ProxyAgent(options)
  }
}
