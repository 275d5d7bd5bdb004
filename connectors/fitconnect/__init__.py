"""FIT-Connect style delivery: the Submission API flow with JWE and signed events.

``crypto`` wraps jwcrypto (RSA-OAEP-256 + A256GCM encryption to the destination's
key, PS512 security event tokens); ``api`` holds the wire types; ``metadata``
builds metadata that validates against FITKO's ``metadata.schema.v1.0.0.json``;
``connector`` is the sender. The subscriber side is the reference receiver in
``connectors.receivers.fitconnect``.
"""
