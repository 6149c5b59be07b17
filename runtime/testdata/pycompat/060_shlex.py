# shlex.
import shlex
print(shlex.split('ls -la "my dir" \'single q\' esc\\ aped --opt=1'))
print(shlex.split("a 'b c' # comment", comments=True), shlex.split('x "a\\"b"'), shlex.split(""))
print(shlex.quote("safe"), shlex.quote("has space"), shlex.quote("it's"), shlex.quote(""), shlex.join(["echo", "a b", "$HOME"]))
try:
    shlex.split('unterminated "quote')
except ValueError as e:
    print("ValueError:", e)
lx = shlex.shlex("a=1 && b='two words'; c", posix=True, punctuation_chars=True)
print(list(lx))
