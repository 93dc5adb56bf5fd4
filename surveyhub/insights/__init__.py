"""Insights: stats, export, follow-ups and open answers (the counters they read are surveyhub/counters.py)."""
