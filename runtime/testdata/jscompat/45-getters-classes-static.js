class Temp {
  static #count = 0;
  static get count() { return Temp.#count; }
  #c;
  constructor(c) { this.#c = c; Temp.#count++; }
  get f() { return this.#c * 9 / 5 + 32; }
  set f(v) { this.#c = (v - 32) * 5 / 9; }
  static from(f) { const t = new Temp(0); t.f = f; return t; }
  toString() { return `${this.#c.toFixed(1)}°C`; }
}
const t = Temp.from(212);
console.log(`${t}`, t.f, Temp.count, t, Object.getOwnPropertyNames(Temp.prototype));
