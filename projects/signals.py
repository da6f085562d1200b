"""What the projects app tells the apps above it about a project's life.

Both are sent with ``project``; a receiver that fails makes the action fail (it is not done
yet, or not completely), so receivers do what must happen and nothing that may.

- :data:`project_archived`: the project was archived (read-only from now on). Scraping cancels
  its running job.
- :data:`project_deleting`: the project and everything stored about it are about to be
  deleted. Scraping cancels its running job first, so workers stop after their current page.
"""

from django.dispatch import Signal

project_archived = Signal()
project_deleting = Signal()
