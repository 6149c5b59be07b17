# csv over io.StringIO.
import csv
import io
text = 'name,age,city\nAda,36,"London, UK"\n"Bob ""the builder""",40,Paris\nCy,,\n'
rows = list(csv.reader(io.StringIO(text)))
print(rows)
for row in csv.DictReader(io.StringIO(text)):
    print(row)
out = io.StringIO()
w = csv.writer(out)
w.writerow(["id", "note"])
w.writerows([[1, "plain"], [2, "with, comma"], [3, 'quote "x"'], [4, "new\nline"], [5, None], [6, 1.5]])
print(repr(out.getvalue()))
out = io.StringIO()
dw = csv.DictWriter(out, fieldnames=["a", "b"], extrasaction="ignore", lineterminator="\n")
dw.writeheader()
dw.writerow({"a": 1, "b": 2, "c": 3})
dw.writerow({"a": "x"})
print(out.getvalue(), end="")
out = io.StringIO()
csv.writer(out, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\n").writerow(["a", 1, None])
csv.writer(out, delimiter="\t", quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n").writerow(["a", 1, 2.5])
print(out.getvalue(), end="")
print(list(csv.reader(["a;b;c", "1;2;3"], delimiter=";")), list(csv.reader(['"a",1,2.5'], quoting=csv.QUOTE_NONNUMERIC)))
print(list(csv.reader(io.StringIO("x|y\n1|2\n"), delimiter="|")), list(csv.reader(["  a,  b"], skipinitialspace=True)))
dialect = csv.Sniffer().sniff("a;b;c\n1;2;3\n")
print(dialect.delimiter, csv.Sniffer().has_header("name,age\nAda,36\nBob,40\n"))
data = "product,qty,price\nwidget,3,2.50\ngadget,1,10.00\nwidget,2,2.50\n"
totals = {}
for r in csv.DictReader(io.StringIO(data)):
    totals[r["product"]] = totals.get(r["product"], 0) + int(r["qty"]) * float(r["price"])
print(totals)
try:
    list(csv.reader(['"unterminated'], strict=True))
except csv.Error as e:
    print("csv.Error:", e)
