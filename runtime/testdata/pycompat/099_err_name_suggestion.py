# Uncaught: NameError with a suggestion.
total = 0
for n in range(4):
    total += n
print(total)
print(totl)
