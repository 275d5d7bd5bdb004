"""eID at the appliance: identify a citizen with the German ID card, keep the minimum.

Layers, from the hardware up:

- ``readers`` / ``pcsc``: card readers over PC/SC (pcscd, pyscard): card insert and
  removal, the card type from its ATR and the unprotected EF.CardAccess.
- ``ausweisapp`` / ``sdk`` / ``client``: the official eID client AusweisApp (BSI
  TR-03124) driven over its SDK WebSocket. Personal data only ever leaves the chip
  through an eID server with an authorization certificate (PAuswG §18) or by
  on-site reading with a separate certificate (§18a); the appliance never reads it
  itself.
- ``attributes`` / ``submission`` / ``transferlog``: what is kept (only the
  attributes the service asked for and the operator left selected), attached to
  the batch as an identified submission, with one transfer-log entry per attribute.
- ``idcopy``: enclosed copies of ID cards in the mail (PAuswG §20).
- ``desk`` / ``routes``: the operator's "Bürger identifizieren" flow.
- ``status``: ``appliance eid status``.
"""
