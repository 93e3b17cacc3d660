"""History encryption: a Temporal payload codec (AES-256-GCM) that encrypts
every payload Baton's clients and workers send — workflow inputs (plans, with
their headers and context), activity inputs and results, update and signal
arguments, query answers — and failure messages, before they reach the
server. The key (``BATON_CODEC_KEY``, base64url of 32 bytes) lives only with
clients and workers. What it does not cover: workflow and activity ids and
types, and search attributes (kind, name, status, approvers), which the
server must read to list runs."""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections.abc import Sequence

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import (
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    PayloadCodec,
)

from ..errors import ConfigError
from ..identity.credentials import CredentialError, b64d

ENCODING = b"binary/encrypted"
KEY_ID = "baton-key-id"


class EncryptionCodec(PayloadCodec):
    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)
        self.key_id = hashlib.sha256(key).hexdigest()[:12].encode()

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        out = []
        for payload in payloads:
            nonce = os.urandom(12)
            sealed = self._aead.encrypt(nonce, payload.SerializeToString(), None)
            out.append(
                Payload(
                    metadata={"encoding": ENCODING, KEY_ID: self.key_id},
                    data=nonce + sealed,
                )
            )
        return out

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        out = []
        for payload in payloads:
            if payload.metadata.get("encoding") != ENCODING:
                out.append(payload)  # written before encryption was turned on
                continue
            if payload.metadata.get(KEY_ID) != self.key_id:
                raise ValueError(
                    "a payload was encrypted with another BATON_CODEC_KEY "
                    f"(key id {payload.metadata.get(KEY_ID, b'?').decode()})"
                )
            plain = self._aead.decrypt(payload.data[:12], payload.data[12:], None)
            out.append(Payload.FromString(plain))
        return out


def data_converter(codec_key: str | None) -> DataConverter:
    """Temporal's default converter, encrypting when a key is set."""
    if not codec_key:
        return DataConverter.default
    try:
        key = b64d(codec_key.strip())
    except CredentialError:
        key = b""
    if len(key) != 32:
        raise ConfigError(
            "BATON_CODEC_KEY must be base64url of 32 random bytes (e.g. "
            "`python -c 'import base64,os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())'`)"
        )
    return dataclasses.replace(
        DataConverter.default,
        payload_codec=EncryptionCodec(key),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )
