"""The hub service: ingest, rules, recorder supervision, scenario player."""
