// sharedb's lib/util.js wants Node's `util.inherits` (or the `inherits`
// package); in the browser this is all of `util` it gets.
export function inherits(ctor: { prototype: object; super_?: unknown }, superCtor: { prototype: object }): void {
  ctor.super_ = superCtor;
  ctor.prototype = Object.create(superCtor.prototype, {
    constructor: { value: ctor, enumerable: false, writable: true, configurable: true },
  });
}
export default { inherits };
