// The few `node:test` and `node:assert/strict` signatures the unit tests use, so that
// `tsc --checkJs` can check the tests without a dependency on @types/node (the devDependencies
// are kept to typescript, playwright-core and @axe-core/playwright).

declare module "node:test" {
  type TestFn = (t: TestContext) => void | Promise<void>;
  interface TestContext {
    test(name: string, fn: TestFn): Promise<void>;
  }
  function test(name: string, fn: TestFn): Promise<void>;
  namespace test {
    function describe(name: string, fn: () => void | Promise<void>): Promise<void>;
  }
  export function describe(name: string, fn: () => void | Promise<void>): Promise<void>;
  export function it(name: string, fn: TestFn): Promise<void>;
  export { test };
  export default test;
}

declare module "node:assert/strict" {
  function assert(value: unknown, message?: string): asserts value;
  namespace assert {
    function ok(value: unknown, message?: string): asserts value;
    function equal<T>(actual: unknown, expected: T, message?: string): asserts actual is T;
    function notEqual(actual: unknown, expected: unknown, message?: string): void;
    function deepEqual<T>(actual: unknown, expected: T, message?: string): asserts actual is T;
    function notDeepEqual(actual: unknown, expected: unknown, message?: string): void;
    function match(value: string, regExp: RegExp, message?: string): void;
    function doesNotMatch(value: string, regExp: RegExp, message?: string): void;
    type Expected = ((error: any) => boolean) | RegExp | (new (...args: any[]) => unknown) | object;
    function throws(fn: () => unknown, expected?: Expected, message?: string): void;
    function doesNotThrow(fn: () => unknown, message?: string): void;
    function rejects(
      block: Promise<unknown> | (() => Promise<unknown>),
      expected?: Expected,
      message?: string,
    ): Promise<void>;
    function fail(message?: string): never;
  }
  export default assert;
}
