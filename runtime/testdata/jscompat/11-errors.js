try { JSON.parse("{bad"); } catch (e) { console.log(e.name, e instanceof SyntaxError); }
try { null.prop; } catch (e) { console.log(e.constructor.name); }
class ValidationError extends Error { constructor(field) { super(`bad ${field}`); this.name = "ValidationError"; this.field = field; } }
const e = new ValidationError("email");
console.log(e.message, e.name, e.field, e instanceof Error);
const withCause = new Error("outer", { cause: new Error("inner") });
console.log(withCause.cause.message);
