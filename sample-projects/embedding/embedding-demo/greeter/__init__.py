"""A C-callable plugin written in Python: see greeter.plugin and csrc/demo.c."""
