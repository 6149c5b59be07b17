# html escaping and parsing.
import html
from html.parser import HTMLParser
print(html.escape('<a href="x">Tom & Jerry\'s</a>'), html.escape("<b>'q'</b>", quote=False))
print(html.unescape("&lt;p&gt;caf&eacute; &amp; &#8364;5 &#x263A; &copy; &nbsp;|&bogus; &amp"))
class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.text = [], []
    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.links.append(dict(attrs).get("href"))
    def handle_data(self, data):
        if data.strip():
            self.text.append(data.strip())
p = Links()
p.feed('<html><body><h1>Title</h1><p>See <a href="/one">one</a> and <A HREF=\'two.html\'>two</A>.</p><br/><!-- c --></body></html>')
print(p.links, p.text)
