"""flexsoc: a discrete-event SoC-level simulator for edge AI built around FlexNN."""

__version__ = "0.1.0"
