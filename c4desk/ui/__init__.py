"""Qt widgets only. Talks to services and the event bridge, never to SQL."""
