# logging into a string buffer.
import logging
import io
buf = io.StringIO()
log = logging.getLogger("tool")
log.setLevel(logging.DEBUG)
h = logging.StreamHandler(buf)
h.setFormatter(logging.Formatter("%(levelname)s:%(name)s:%(message)s"))
log.addHandler(h)
log.debug("debug %d", 1)
log.info("info %s", "two")
log.warning("careful")
child = logging.getLogger("tool.sub")
child.error("from child: %r", {"k": 1})
try:
    1 / 0
except ZeroDivisionError:
    log.exception("failed")
print(buf.getvalue().splitlines()[:5])
print(buf.getvalue().splitlines()[-1])
print(logging.getLevelName(logging.WARNING), logging.getLevelName(15), log.isEnabledFor(logging.DEBUG), child.getEffectiveLevel())
log.setLevel(logging.ERROR)
log.warning("hidden")
print(len(buf.getvalue().splitlines()))
