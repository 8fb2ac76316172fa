"""The installed version, from the package metadata: pyproject.toml is the one place it is written.

A module of its own so faces (the server, the CLI) can read it without importing the package's
shortcuts, which reach the client.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("modelward")
except PackageNotFoundError:  # a source tree on sys.path without `pip install -e .`
    __version__ = "0+unknown"
