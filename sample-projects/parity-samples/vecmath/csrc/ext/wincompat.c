#error "built on Windows only (see `when` in pyproject.toml)"
