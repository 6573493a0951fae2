"""Random connectors for the seeded random networks of the sPyNNaker read-back tests."""
from spikemem import AllToAllConnector, FromListConnector, OneToOneConnector


def random_connector(rng, n_pre: int, n_post: int) -> tuple:
    """(connector, weight shape): one-to-one where the sizes allow, all-to-all or a random list."""
    kind = int(rng.integers(0, 3))
    if kind == 0 and n_pre == n_post:
        return OneToOneConnector(), (n_pre,)
    if kind == 1:
        return AllToAllConnector(), (n_pre, n_post)
    pairs = sorted({(int(rng.integers(0, n_pre)), int(rng.integers(0, n_post))) for _ in range(int(rng.integers(2, 10)))})
    return FromListConnector(tuple(pairs)), (len(pairs),)
