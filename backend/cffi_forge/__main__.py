"""``python -m cffi_forge ...`` runs the ``cffi-forge`` command line."""

import subprocess
import sys

from cffi_forge import _binary

if __name__ == "__main__":
    sys.exit(subprocess.call([_binary()] + sys.argv[1:]))
