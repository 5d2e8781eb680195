"""UI feature: cases."""
