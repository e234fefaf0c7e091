"""Longtail: a shopping assistant that finds the long tail. Shared configuration and the `longtail` CLI."""

from .config import ConfigError, Settings, load_settings

__all__ = ["ConfigError", "Settings", "load_settings"]
__version__ = "0.1.0"
