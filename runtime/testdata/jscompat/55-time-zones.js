const d = new Date(Date.UTC(2024, 6, 4, 23, 30, 0));
for (const tz of ["America/New_York", "Europe/Berlin", "Asia/Tokyo", "Asia/Kolkata", "UTC"]) console.log(tz, d.toLocaleString("en-US", { timeZone: tz }), new Intl.DateTimeFormat("de-DE", { timeZone: tz, dateStyle: "long" }).format(d));
try { new Intl.DateTimeFormat("en-US", { timeZone: "Mars/Base" }); } catch (e) { console.log(e.name, e.message); }
console.log(new Date(Date.UTC(2024, 0, 15, 12)).toLocaleDateString("en-GB", { timeZone: "Pacific/Auckland" }));
