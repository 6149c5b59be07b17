console.log(["it's", 'say "hi"', `both ' and "`, "tab\there", "new\nline"]);
console.log({ "with-dash": 1, valid_id: 2, "3d": 3, [Symbol("s")]: 4 });
