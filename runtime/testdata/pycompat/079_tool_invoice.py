# A typical tool: an invoice with typed records, enums and validation.
from dataclasses import dataclass, field
from decimal import Decimal, ROUND_HALF_UP
from enum import Enum
from typing import Optional
class Tax(Enum):
    STANDARD = Decimal("0.20")
    REDUCED = Decimal("0.055")
    NONE = Decimal("0")
@dataclass(frozen=True)
class Line:
    sku: str
    qty: int
    unit: Decimal
    tax: Tax = Tax.STANDARD
    def net(self) -> Decimal:
        return self.unit * self.qty
@dataclass
class Invoice:
    number: str
    lines: list[Line] = field(default_factory=list)
    discount: Optional[Decimal] = None
    def add(self, *lines: Line) -> "Invoice":
        for ln in lines:
            if ln.qty <= 0:
                raise ValueError(f"line {ln.sku}: quantity must be positive, got {ln.qty}")
            self.lines.append(ln)
        return self
    def totals(self) -> dict[str, Decimal]:
        cent = Decimal("0.01")
        net = sum((ln.net() for ln in self.lines), Decimal(0))
        if self.discount:
            net -= (net * self.discount).quantize(cent, ROUND_HALF_UP)
        tax = sum(((ln.net() * ln.tax.value).quantize(cent, ROUND_HALF_UP) for ln in self.lines), Decimal(0))
        return {"net": net, "tax": tax, "gross": net + tax}
inv = Invoice("INV-0042", discount=Decimal("0.1")).add(
    Line("BOOK", 3, Decimal("12.99"), Tax.REDUCED),
    Line("PEN", 10, Decimal("0.35")),
    Line("SVC", 1, Decimal("150"), Tax.NONE),
)
for ln in inv.lines:
    print(f"{ln.sku:<6}{ln.qty:>4} x {ln.unit:>8.2f} = {ln.net():>9.2f}  {ln.tax.name.lower()}")
for k, v in inv.totals().items():
    print(f"{k:>6}: {v:,.2f}")
match inv.totals():
    case {"gross": g} if g > 200:
        print("needs approval")
    case _:
        print("auto-approved")
try:
    inv.add(Line("BAD", 0, Decimal(1)))
except ValueError as e:
    print("rejected:", e)
