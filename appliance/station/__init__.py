"""The operator's station: settings, batches, the web page and the outbox delivery."""
