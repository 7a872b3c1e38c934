# The plugin's init code (embedding-init-code-file in pyproject.toml, compiled into the
# library): run by libgreeter at the first call of one of its functions.
from greeter._greeter_cffi import ffi
from greeter import plugin


@ffi.def_extern()
def greet(name, out, size):
    text = plugin.greeting(ffi.string(name).decode("utf-8")).encode("utf-8")
    if len(text) >= size:
        return -1
    ffi.memmove(out, text + b"\0", len(text) + 1)
    return len(text)


@ffi.def_extern()
def word_count(text):
    return plugin.word_count(ffi.string(text).decode("utf-8"))
