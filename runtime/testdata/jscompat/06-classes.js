class Point { constructor(x, y) { this.x = x; this.y = y; } norm() { return Math.hypot(this.x, this.y); } }
class Point3 extends Point { #secret = 1; constructor(x, y, z) { super(x, y); this.z = z; } }
const p = new Point3(3, 4, 12);
console.log(p, p.norm(), Point, Point3);
console.log(Object.create(null), Object.assign(Object.create(null), { a: 1 }));
