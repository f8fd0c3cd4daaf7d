"""Mango Office signatures: sha256(key + json + salt), lowercase hex, both directions.

Plain SHA-256 over the exact `json` string sent (not HMAC); the salt is never
transmitted. Recording links sign key + timestamp + recording_id + salt.
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["recording_link_sign", "sign", "verify"]


def sign(api_key: str, json_text: str, api_salt: str) -> str:
    text = f"{api_key}{json_text}{api_salt}"
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def verify(api_key: str, json_text: str, api_salt: str, signature: str) -> bool:
    """Whether `signature` signs `json_text` (the raw form value, never re-serialised).

    Compared as bytes: `hmac.compare_digest` refuses a non-ASCII str, and a
    signature is whatever the sender put in the form.
    """
    given = signature.strip().lower().encode("utf-8", "surrogatepass")
    return hmac.compare_digest(sign(api_key, json_text, api_salt).encode(), given)


def recording_link_sign(api_key: str, timestamp: int, recording_id: str, api_salt: str) -> str:
    return hashlib.sha256(f"{api_key}{timestamp}{recording_id}{api_salt}".encode()).hexdigest()
