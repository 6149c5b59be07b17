const start = new Date(Date.UTC(2024, 0, 31));
const next = new Date(start); next.setUTCMonth(next.getUTCMonth() + 1);
console.log(next.toISOString().slice(0, 10), (Date.UTC(2024, 11, 25) - Date.UTC(2024, 0, 1)) / 864e5);
console.log(new Date(0).toUTCString(), Date.parse("2024-06-01T00:00:00Z"), new Date(Date.UTC(2020, 1, 29)).getUTCDay());
