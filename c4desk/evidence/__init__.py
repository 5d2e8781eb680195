"""Evidence packages: manifests, hashing, verification, custody log."""
