"""UI feature: wall."""
