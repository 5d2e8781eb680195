"""UI feature: map."""
