"""Reference receivers: real processes on loopback for the demo and the tests.

``fitconnect`` (Submission API and a subscriber that decrypts and confirms),
``eakte`` (an E-Akte that imports xdomea messages and shows them) and
``webhook`` (a Fachverfahren accepting signed pushes). Each deduplicates by
idempotency key in its own SQLite inbox and has fault switches (``PUT /_faults``
or command-line flags): down is a stopped process; slow, 5xx, garbage, reject
with reason, size limit and wrong key are switches.
"""
