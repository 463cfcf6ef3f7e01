"""The dashboard tab: the queue's counts, workers, recent events and actions, behind a password.

- :mod:`~service.dashboard.auth`: the password and session tokens;
- :mod:`~service.dashboard.counts` and :mod:`~service.dashboard.events`: bounded Redis reads;
- :mod:`~service.dashboard.views`: what the components show;
- :mod:`~service.dashboard.tab`: the Gradio components and their events (imports Gradio).

Actions (requeue, replay, delete) are :mod:`service.jobs` functions, shared with the CLI.
"""

from service.dashboard.auth import DashboardAuth
from service.dashboard.context import DashboardContext

__all__ = ["DashboardAuth", "DashboardContext"]
