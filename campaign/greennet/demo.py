"""Demo movement: filled in a later commit."""


def seed_greennet(*, now) -> None:
    return None
