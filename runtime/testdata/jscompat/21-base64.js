console.log(btoa("Hello, World!"), atob("SGVsbG8sIFdvcmxkIQ=="));
console.log(btoa(""), atob(""), atob(" SGk = "), btoa("\xff\xfe"));
try { btoa("€"); } catch (e) { console.log(e.name); }
try { atob("abc$"); } catch (e) { console.log(e.name); }
const bin = String.fromCharCode(...new TextEncoder().encode("ünïcode"));
console.log(new TextDecoder().decode(Uint8Array.from(atob(btoa(bin)), (c) => c.charCodeAt(0))));
