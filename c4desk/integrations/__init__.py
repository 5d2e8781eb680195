"""The outside world's formats and protocols: parse and validate, no UI."""
