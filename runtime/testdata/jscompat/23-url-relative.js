const base = "http://a/b/c/d;p?q";
for (const ref of ["g", "./g", "g/", "/g", "//g", "?y", "g?y", "#s", "g#s", ";x", "", ".", "./", "..", "../", "../g", "../..", "../../g", "../../../g", "/./g", "g.", ".g", "g..", "..g", "./../g", "g;x=1/../y"]) {
  console.log(JSON.stringify(ref), new URL(ref, base).href);
}
