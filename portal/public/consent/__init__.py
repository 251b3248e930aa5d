"""Consent: parents and carers, the young person, and withdrawal."""
