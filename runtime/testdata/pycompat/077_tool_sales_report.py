# A typical tool: parse records, aggregate, format a report.
import json
from collections import defaultdict, Counter
from dataclasses import dataclass, asdict
from datetime import date, datetime
from decimal import Decimal, ROUND_HALF_UP
from statistics import mean, median
raw = json.loads("""[
  {"id": 1, "date": "2024-01-05", "region": "north", "amount": "120.50", "rep": "ada"},
  {"id": 2, "date": "2024-01-19", "region": "south", "amount": "80.00", "rep": "bob"},
  {"id": 3, "date": "2024-02-02", "region": "north", "amount": "310.25", "rep": "ada"},
  {"id": 4, "date": "2024-02-14", "region": "east", "amount": "99.99", "rep": "cy"},
  {"id": 5, "date": "2024-02-29", "region": "south", "amount": "45.10", "rep": "bob"},
  {"id": 6, "date": "2024-03-01", "region": "north", "amount": "12.00", "rep": "cy"}
]""")
@dataclass
class Sale:
    id: int
    day: date
    region: str
    amount: Decimal
    rep: str
sales = [Sale(r["id"], datetime.strptime(r["date"], "%Y-%m-%d").date(), r["region"], Decimal(r["amount"]), r["rep"]) for r in raw]
by_month = defaultdict(Decimal)
by_region = defaultdict(list)
for s in sales:
    by_month[s.day.strftime("%Y-%m")] += s.amount
    by_region[s.region].append(s.amount)
print(f"{'Month':<8}{'Total':>10}")
for m, total in sorted(by_month.items()):
    print(f"{m:<8}{total:>10,.2f}")
print("-" * 18)
grand = sum(s.amount for s in sales)
print(f"{'All':<8}{grand:>10,.2f}")
for region, amounts in sorted(by_region.items(), key=lambda kv: -sum(kv[1])):
    share = (sum(amounts) / grand * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)
    print(f"{region:>6}: n={len(amounts)} mean={mean(amounts):.2f} median={median(amounts)} share={share}%")
top = Counter({s.rep: 0 for s in sales})
for s in sales:
    top[s.rep] += float(s.amount)
print(top.most_common(1), [asdict(s) | {"day": s.day.isoformat(), "amount": str(s.amount)} for s in sales[:1]])
print(json.dumps({"grand_total": str(grand), "months": sorted(by_month)}, indent=2))
