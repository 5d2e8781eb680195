"""Ed25519 public keys as c4desk shows and checks them: fingerprints, PEM, signature checks.

Kept apart from ``signing`` (the centre's private key and where it lives) so that the published key history
(``key_history``) and the package check (``verify``) can use them without the secret store. ``signing`` re-exports
every name here: ``from c4desk.evidence.signing import fingerprint`` keeps working.
"""

from __future__ import annotations

import hashlib
import re

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_public_key

ALGORITHM = "Ed25519"
_HEX64 = re.compile(r"[0-9a-f]{64}")


def _grouped(hex_digits: str) -> str:
    return " ".join(hex_digits[i:i + 4] for i in range(0, len(hex_digits), 4))


def fingerprint(public_key: Ed25519PublicKey) -> str:
    """SHA-256 of the raw 32-byte public key, hex in groups of four (easy to read out and compare)."""
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return _grouped(hashlib.sha256(raw).hexdigest())


def normalize_fingerprint(text: str) -> str:
    """A fingerprint as typed or pasted (any case; groups separated by spaces, colons or dashes, or not at all) in
    the form ``fingerprint`` gives. ValueError unless it is all 64 hex digits: a prefix is not a key's identity."""
    digits = re.sub(r"[\s:-]", "", text).lower()
    if not _HEX64.fullmatch(digits):
        raise ValueError("expected the key's SHA-256 fingerprint: 64 hex digits (spaces or colons between groups "
                         "are fine)")
    return _grouped(digits)


def public_key_pem(public_key: Ed25519PublicKey) -> bytes:
    """The public key as a PEM ``PUBLIC KEY`` block (what ``openssl pkeyutl -pubin`` reads)."""
    return public_key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)


def load_public_key(data: bytes) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM; ValueError saying why not."""
    try:
        key = load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"not a PEM public key ({exc})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"not an {ALGORITHM} key")
    return key


def signature_valid(public_key: Ed25519PublicKey, data: bytes, signature: bytes) -> bool:
    try:
        public_key.verify(signature, data)
    except InvalidSignature:
        return False
    return True
