"""The plain function RQ's reference worker runs in the benchmark."""


def noop() -> None:
    """Do nothing: the job's cost is all queue overhead."""
