"""CarePlan: one shared care plan across health and social care, kept offline."""

__version__ = "0.1.0"
