"""Institutions (总行/分行/支行), staff, roles, permissions, login and data scope."""
