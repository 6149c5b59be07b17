# Building email messages (no sending).
from email.message import EmailMessage
from email.utils import formataddr, parseaddr, formatdate, parsedate_to_datetime, getaddresses
from email import message_from_string
from email.policy import default
msg = EmailMessage()
msg["From"] = formataddr(("Ada Lovelace", "ada@example.com"))
msg["To"] = "bob@example.com, Cy <cy@example.org>"
msg["Subject"] = "Quarterly report"
msg["Date"] = formatdate(1700000000, usegmt=True)
msg["Message-ID"] = "<fixed-id@example.com>"
msg.set_content("Hello Bob,\n\nThe report is attached.\n")
print(msg.as_string())
msg.add_attachment(b"a,b\n1,2\n", maintype="text", subtype="csv", filename="report.csv")
print(msg.is_multipart(), [p.get_content_type() for p in msg.iter_parts()], msg.get_content_type())
att = list(msg.iter_attachments())[0]
print(att.get_filename(), att.get_content())
print(parseaddr("Ada <ada@example.com>"), getaddresses(["a@x.com, B <b@y.com>"]), parsedate_to_datetime("Tue, 14 Nov 2023 22:13:20 +0000"))
raw = "From: x@y.com\nSubject: =?utf-8?q?caf=C3=A9?=\nContent-Type: text/plain; charset=utf-8\n\nbody text\n"
m = message_from_string(raw, policy=default)
print(m["subject"], m["from"], m.get_content().strip(), m.get_content_charset())
u = EmailMessage()
u["Subject"] = "Zoë ☕"
u.set_content("non-ascii: é")
print(u["Subject"], "Content-Transfer-Encoding" in u, u.get_content().strip())
