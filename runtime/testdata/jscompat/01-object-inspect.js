const user = { name: "Ada", age: 36, tags: ["math", "code"], address: { city: "London", geo: { lat: 51.5, lng: -0.12 } } };
console.log(user);
console.log([user, user.address]);
console.log({ empty: {}, list: [], nested: [[1, [2, [3, [4]]]]] });
