"""c4desk: an open analyst workstation for police Real-Time Crime Centers."""

__version__ = "0.1.0"
