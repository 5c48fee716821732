"""matcue: voice-guided audio routines for yoga, stretching and mobility."""

__version__ = "0.1.0"
