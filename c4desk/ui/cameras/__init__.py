"""UI feature: cameras."""
