"""xdomea 3.1 messages for E-Akte/DMS: build, pack, validate and send them.

``message`` builds an ``Abgabe.Abgabe.0401`` (a Vorgang with one Dokument per
file) and the receiver's ``Abgabe.ImportBestaetigen.0402``; ``rules`` validates
them against the xdomea sequence rules; ``connector`` posts the packed ZIP.
"""
