"""Health-insurance card for a child under 6: registers "health_insurance"."""

from procedures.handlers.health_insurance.handler import HealthInsuranceHandler

__all__ = ["HealthInsuranceHandler"]
