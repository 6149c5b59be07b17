const data = { id: 7, items: [{ sku: "A1", qty: 2, price: 9.99 }, { sku: "B2", qty: 1, price: 24.5 }] };
const total = data.items.reduce((s, i) => s + i.qty * i.price, 0);
console.log(total.toFixed(2), Math.round(total * 100) / 100);
console.log(JSON.parse(JSON.stringify(data)).items.map(({ sku }) => sku).join("|"));
return { total: Math.round(total * 100) / 100 };
