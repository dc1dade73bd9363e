"""Kokoron's memory tiers: Soul (weights), long-term, session (SQLite) and working (per turn)."""
