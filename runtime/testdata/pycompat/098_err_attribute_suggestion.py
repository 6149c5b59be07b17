# Uncaught: AttributeError with a suggestion.
name = "ada"
print(name.upper())
print(name.uper())
