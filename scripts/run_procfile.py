"""`make run`'s process manager: honcho, with a stop grace period long enough for the worker.

On Ctrl-C honcho sends SIGTERM to each process group of the Procfile and SIGKILL five seconds
later. A Celery worker's warm shutdown lets its running tasks finish, which takes longer than
that (an idle worker on the filesystem broker alone takes about five seconds to stop), so
here the grace period is CELERY_SOFT_SHUTDOWN_SECONDS (default 30), what the README promises.
The worker in the Procfile runs its tasks in threads of its one process: honcho's SIGTERM
reaches the whole process group, and prefork children would die of it mid-task.

Usage: python scripts/run_procfile.py [honcho arguments], e.g. `--procfile Procfile start`.
"""

from __future__ import annotations

import os

import honcho.command
import honcho.manager

honcho.manager.KILL_WAIT = int(float(os.environ.get("CELERY_SOFT_SHUTDOWN_SECONDS", "30")))

if __name__ == "__main__":
    honcho.command.main()
