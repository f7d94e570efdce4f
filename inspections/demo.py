"""A year of demo history ending today: campaigns, inspections, hazards in every state."""


def seed_history() -> None:
    """Filled in by the closed-loop work; the foundation seeds units and users only."""
