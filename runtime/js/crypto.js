// crypto: getRandomValues, randomUUID and the HMAC and digest part of SubtleCrypto, over the host (__enact_sys).
// A module of the sandbox's web APIs, compiled on first use (see webapi.js).
(shared) => {
  "use strict";
  const { sys, SYS_RANDOM, SYS_DIGEST, SYS_HMAC, tag, domError, bytesOf, toTag, platformClasses } = shared;
  // --------------------------------------------------------------- crypto
  const integerArrays = new Set(["Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array", "Uint32Array", "BigInt64Array", "BigUint64Array"]);
  const cryptoKey = {};
  class CryptoKey {
    #type; #extractable; #algorithm; #usages; #raw;
    constructor(key, type, extractable, algorithm, usages, raw) {
      if (key !== cryptoKey) throw new TypeError("Illegal constructor");
      this.#type = type; this.#extractable = extractable; this.#algorithm = algorithm; this.#usages = usages; this.#raw = raw;
    }
    get type() { return this.#type; }
    get extractable() { return this.#extractable; }
    get algorithm() { return this.#algorithm; }
    get usages() { return this.#usages.slice(); }
    static _raw(k) { return k.#raw; }
  }
  const rawKey = CryptoKey._raw; delete CryptoKey._raw;
  tag(CryptoKey, "CryptoKey");
  const HASHES = { "SHA-1": [1, 20, 64], "SHA-256": [256, 32, 64], "SHA-384": [384, 48, 128], "SHA-512": [512, 64, 128] };
  const hashOf = (alg) => {
    const name = String(typeof alg === "string" ? alg : alg?.name).toUpperCase();
    if (!Object.hasOwn(HASHES, name)) throw domError("Unrecognized algorithm name", "NotSupportedError");
    return name;
  };
  // The host is given whole buffers with an offset and a length; an empty
  // view is given a buffer of its own, never a zero-length one.
  const region = (u8) => u8.byteLength === 0 ? [new ArrayBuffer(1), 0, 0] : [u8.buffer, u8.byteOffset, u8.byteLength];
  const digestBytes = (hash, data) => {
    const [code, size] = HASHES[hash]; const out = new Uint8Array(size);
    sys(SYS_DIGEST, code, ...region(data), out.buffer);
    return out;
  };
  const hmacBytes = (hash, key, data) => {
    const [code, size] = HASHES[hash]; const out = new Uint8Array(size);
    sys(SYS_HMAC, code, ...region(key), ...region(data), out.buffer);
    return out;
  };
  const copyBytes = (input, what) => bytesOf(input, what).slice();
  const usagesOK = (usages, allowed) => {
    for (const u of usages) if (!allowed.includes(u)) throw domError(`Unsupported key usage for an HMAC key`, "SyntaxError");
  };
  const cryptoInstance = () => crypto;
  const settleAsync = (f) => new Promise((resolve) => resolve(f()));
  class SubtleCrypto {
    constructor(key) { if (key !== cryptoKey) throw new TypeError("Illegal constructor"); }
    digest(algorithm, data) {
      return settleAsync(() => digestBytes(hashOf(algorithm), copyBytes(data, "data")).buffer);
    }
    importKey(format, keyData, algorithm, extractable, usages) {
      return settleAsync(() => {
        const name = String(typeof algorithm === "string" ? algorithm : algorithm?.name).toUpperCase();
        if (name !== "HMAC") throw domError("Unrecognized algorithm name", "NotSupportedError");
        if (format !== "raw") throw domError(`Unsupported key format "${format}": only "raw" is available in the sandbox`, "NotSupportedError");
        if (algorithm?.hash === undefined) throw new TypeError("algorithm.hash is required for HMAC keys");
        const hash = hashOf(algorithm.hash);
        const raw = copyBytes(keyData, "keyData");
        if (raw.length === 0) throw domError("Zero-length key is not supported", "DataError");
        usagesOK(usages, ["sign", "verify"]);
        const length = algorithm.length ?? raw.length * 8;
        return new CryptoKey(cryptoKey, "secret", !!extractable, { name: "HMAC", length, hash: { name: hash } }, Array.from(usages), raw);
      });
    }
    exportKey(format, key) {
      return settleAsync(() => {
        if (!(key instanceof CryptoKey)) throw new TypeError("key is not a CryptoKey");
        if (!key.extractable) throw domError("key is not extractable", "InvalidAccessError");
        if (format !== "raw") throw domError(`Unsupported key format "${format}"`, "NotSupportedError");
        return rawKey(key).slice().buffer;
      });
    }
    generateKey(algorithm, extractable, usages) {
      return settleAsync(() => {
        const name = String(typeof algorithm === "string" ? algorithm : algorithm?.name).toUpperCase();
        if (name !== "HMAC") throw domError("Unrecognized algorithm name", "NotSupportedError");
        const hash = hashOf(algorithm.hash); usagesOK(usages, ["sign", "verify"]);
        const bits = algorithm.length ?? HASHES[hash][2] * 8;
        const raw = cryptoInstance().getRandomValues(new Uint8Array(Math.ceil(bits / 8)));
        return new CryptoKey(cryptoKey, "secret", !!extractable, { name: "HMAC", length: bits, hash: { name: hash } }, Array.from(usages), raw);
      });
    }
    sign(algorithm, key, data) {
      return settleAsync(() => {
        checkKey(algorithm, key, "sign");
        return hmacBytes(key.algorithm.hash.name, rawKey(key), copyBytes(data, "data")).buffer;
      });
    }
    verify(algorithm, key, signature, data) {
      return settleAsync(() => {
        checkKey(algorithm, key, "verify");
        const want = hmacBytes(key.algorithm.hash.name, rawKey(key), copyBytes(data, "data"));
        const got = copyBytes(signature, "signature");
        if (got.length !== want.length) return false;
        let diff = 0; for (let i = 0; i < got.length; i++) diff |= got[i] ^ want[i];
        return diff === 0;
      });
    }
  }
  const checkKey = (algorithm, key, usage) => {
    if (!(key instanceof CryptoKey)) throw new TypeError("key is not a CryptoKey");
    const name = String(typeof algorithm === "string" ? algorithm : algorithm?.name).toUpperCase();
    if (name !== "HMAC" || key.algorithm.name !== "HMAC") throw domError("Unrecognized algorithm name", "NotSupportedError");
    if (!key.usages.includes(usage)) throw domError(`The key does not allow "${usage}"`, "InvalidAccessError");
  };
  tag(SubtleCrypto, "SubtleCrypto");
  class Crypto {
    #subtle = new SubtleCrypto(cryptoKey);
    constructor(key) { if (key !== cryptoKey) throw new TypeError("Illegal constructor"); }
    get subtle() { return this.#subtle; }
    getRandomValues(array) {
      if (!ArrayBuffer.isView(array) || !integerArrays.has(toTag(array))) throw domError("The data argument must be an integer-type TypedArray", "TypeMismatchError");
      if (array.byteLength > 65536) throw domError(`The ArrayBufferView's byte length (${array.byteLength}) exceeds the number of bytes of entropy available via this API (65536)`, "QuotaExceededError");
      if (array.byteLength > 0) sys(SYS_RANDOM, array.buffer, array.byteOffset, array.byteLength);
      return array;
    }
    randomUUID() {
      const b = this.getRandomValues(new Uint8Array(16));
      b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
      const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    }
  }
  tag(Crypto, "Crypto");
  platformClasses.push(Crypto, SubtleCrypto, CryptoKey);
  const crypto = new Crypto(cryptoKey);
  return { globals: { Crypto, SubtleCrypto, CryptoKey, crypto } };
}
