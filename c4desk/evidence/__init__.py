"""Evidence packages: export a case's clips and stills with a manifest, custody log and report; verify a package.

``export.export_case`` writes a package; ``verify.verify_package`` checks one without the database. The layout
and what the manifest protects are described in ``manifest``; the centre's key that signs it, in ``signing``.
"""
