# A typical tool: text statistics.
import re
import string
from collections import Counter
text = """It was the best of times, it was the worst of times, it was the age of wisdom,
it was the age of foolishness, it was the epoch of belief, it was the epoch of incredulity,
it was the season of Light, it was the season of Darkness, it was the spring of hope,
it was the winter of despair."""
words = re.findall(r"[a-z']+", text.lower())
sentences = [s for s in re.split(r"[.!?]+\s*", text) if s.strip()]
lines = text.splitlines()
freq = Counter(words)
stop = {"it", "was", "the", "of"}
print(f"characters: {len(text)}, words: {len(words)}, unique: {len(freq)}, lines: {len(lines)}, sentences: {len(sentences)}")
print("top:", freq.most_common(5))
print("top content words:", [(w, c) for w, c in freq.most_common() if w not in stop][:4])
print("longest:", max(words, key=lambda w: (len(w), w)), "avg length: %.3f" % (sum(map(len, words)) / len(words)))
print("capitalised:", re.findall(r"\b[A-Z][a-z]+\b", text))
print("letters:", "".join(sorted(set(c for c in text.lower() if c in string.ascii_lowercase))))
print("title:", lines[0].title()[:40])
width = max(len(w) for w, _ in freq.most_common(3))
for w, c in freq.most_common(3):
    print(f"{w:>{width}} {'#' * c} {c}")
