"""Reports on the store: the monthly brief, the claim checker and alerts (docs/brief.md, docs/check.md)."""
