const cfg = { server: { port: 0, host: "" }, list: null };
console.log(cfg.server?.port ?? 8080, cfg.server.host || "localhost", cfg.list?.[0], cfg.missing?.deep.deeper, cfg.fn?.());
let x = null; x ??= 5; let y = 1; y ||= 2; let z = 1; z &&= 3;
console.log(x, y, z, 1_000_000, 0b1010, 0o17, 0xff);
