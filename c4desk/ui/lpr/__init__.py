"""UI feature: lpr."""
