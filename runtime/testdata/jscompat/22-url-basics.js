const u = new URL("https://user:pass@sub.Example.com:8080/p/a/t/h?query=string&x=1#hash");
console.log(u.protocol, u.username, u.password, u.host, u.hostname, u.port, u.pathname, u.search, u.hash, u.origin);
console.log(u.href, String(u), JSON.stringify({ u }));
console.log(new URL("HTTP://EXAMPLE.com:80/a/../b/./c").href);
console.log(new URL("file:///C:/dir/../file.txt").href, new URL("mailto:someone@example.com").pathname);
