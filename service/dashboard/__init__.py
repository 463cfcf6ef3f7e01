"""The dashboard tab: every queue's counts, workers, recent events and actions, behind a password.

- :mod:`~service.dashboard.auth`: the password and session tokens;
- :mod:`~service.dashboard.context`: the app's queues, routes and handlers;
- :mod:`~service.dashboard.counts`, :mod:`~service.dashboard.events`,
  :mod:`~service.dashboard.activity` (over :mod:`~service.dashboard.window`): bounded Redis reads;
- :mod:`~service.dashboard.views`: what the components show;
- :mod:`~service.dashboard.board` and :mod:`~service.dashboard.tab`: the Gradio components and
  their events (they import Gradio).

Actions (requeue, replay, delete) are :mod:`service.jobs` functions, shared with the CLI.
"""

from service.dashboard.auth import DashboardAuth
from service.dashboard.context import DashboardContext

__all__ = ["DashboardAuth", "DashboardContext"]
