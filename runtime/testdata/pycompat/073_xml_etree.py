# xml.etree.ElementTree: parse, query, build.
import xml.etree.ElementTree as ET
doc = """<catalog>
  <book id="b1" lang="en"><title>Dune</title><price currency="USD">9.99</price></book>
  <book id="b2" lang="fr"><title>L'Étranger</title><price currency="EUR">7.50</price></book>
  <magazine id="m1"><title>Wired</title></magazine>
</catalog>"""
root = ET.fromstring(doc)
print(root.tag, len(root), [b.get("id") for b in root.findall("book")], root.find("book/title").text, root.findtext("magazine/title"))
print([(b.findtext("title"), float(b.findtext("price"))) for b in root.iter("book")], [e.tag for e in root.iter() if e.tag != "catalog"][:4])
print(root.find(".//price[@currency='EUR']").text, [b.attrib for b in root.findall("./book[@lang='en']")])
new = ET.Element("order", {"id": "42"})
item = ET.SubElement(new, "item", qty="2")
item.text = "widget & co"
ET.SubElement(new, "note").text = "fragile <glass>"
print(ET.tostring(new, encoding="unicode"))
ET.indent(new)
print(ET.tostring(new, encoding="unicode"))
try:
    ET.fromstring("<a><b></a>")
except ET.ParseError as e:
    print("ParseError:", e)
