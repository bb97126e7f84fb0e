"""The version of symdiff (read by the package and by generated headers)."""

__version__ = "0.1.0"
