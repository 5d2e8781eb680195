"""UI feature: alerts."""
