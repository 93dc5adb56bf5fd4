"""Accounts: orgs and their keys, surveys, people, suppressions, invitations, the security log, the demo org."""
