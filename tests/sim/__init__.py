"""Simulators standing in for devices that do not exist here (cameras' HTTP APIs)."""
