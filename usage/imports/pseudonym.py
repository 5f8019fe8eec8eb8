"""Users in usage data are pseudonyms: a keyed hash, never the e-mail or name (SPEC §1)."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings

from usage.imports.values import is_masked

# Every masked value ("*****", any run of asterisks) is one anonymous user of its team.
MASK = "*"


def secret() -> bytes:
    return settings.PSEUDONYM_KEY.encode()


def user_key(value: str, key: bytes | None = None) -> str:
    """HMAC-SHA256 (hex) of the stripped, lower-cased user value; masks share one key."""
    text = value.strip().lower()
    if is_masked(text):
        text = MASK
    return hmac.new(key or secret(), text.encode(), hashlib.sha256).hexdigest()


def anonymous_key(key: bytes | None = None) -> str:
    return user_key(MASK, key)
