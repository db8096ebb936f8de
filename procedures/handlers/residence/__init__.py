"""Permanent residence registration (Đăng ký thường trú): registers "residence"."""

from procedures.handlers.residence.handler import ResidenceHandler

__all__ = ["ResidenceHandler"]
