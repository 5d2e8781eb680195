"""UI feature: PTZ control (the panel for one camera, and auto-slew to an alert)."""
