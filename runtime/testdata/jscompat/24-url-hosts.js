for (const s of ["http://0x7f.1/", "http://192.168.0.257/", "http://[::1]:3000/x", "http://[2001:db8:0:0:0:0:2:1]/", "http://münchen.de/", "http://EXAMPLE.com./", "https://example.com:443/", "ws://h:80/", "http://h:65536/"]) {
  try { const u = new URL(s); console.log(u.host, u.href); } catch (e) { console.log("invalid", s, e.name); }
}
console.log(URL.canParse("not a url"), URL.canParse("x", "https://example.com/"), URL.canParse("https://ok"));
