"""Referral service: the identity register, referrals and their triage decisions."""
