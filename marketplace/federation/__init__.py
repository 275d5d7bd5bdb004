"""Federation between marketplace nodes: signed change feeds, peers, a read-only
replica of other nodes' offers, and cross-node contracts (docs/federation.md)."""
