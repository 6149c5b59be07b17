# textwrap.
import textwrap
text = "The Zen of Python, by Tim Peters. Beautiful is better than ugly. Explicit is better than implicit. Simple is better than complex."
print(textwrap.wrap(text, width=30))
print(textwrap.fill(text, width=40))
print(textwrap.fill(text, width=40, initial_indent="* ", subsequent_indent="  "))
print(textwrap.shorten(text, width=50), textwrap.shorten("Hello  world!", width=11), textwrap.shorten(text, 40, placeholder=" [...]"))
code = """
    def f():
        return 1
"""
print(repr(textwrap.dedent(code)))
print(textwrap.indent("a\nb\n\nc", "> "), textwrap.indent("a\n\nb", "+ ", lambda line: True), sep="\n")
w = textwrap.TextWrapper(width=20, max_lines=2, placeholder="…", break_long_words=True)
print(w.wrap("supercalifragilisticexpialidocious is a long word indeed"))
print(textwrap.wrap("a-hyphenated-word-that-is-long", 10), textwrap.wrap("a-hyphenated-word", 10, break_on_hyphens=False))
print(textwrap.wrap("tabs\there", 20, expand_tabs=True, tabsize=4), textwrap.wrap("", 10), textwrap.wrap("x " * 5, 4, drop_whitespace=False))
