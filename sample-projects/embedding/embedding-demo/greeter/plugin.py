"""The plugin's logic, plain Python (importable and testable on its own)."""


def greeting(name):
    return "Hello, %s! (from Python)" % (name.strip() or "stranger",)


def word_count(text):
    return len(text.split())
