"""Cross-cutting runtime every AP Journey service uses. Never domain logic."""
