"""Insights: stats counters, stats, export, follow-ups and open answers."""
