"""Alerts: rules that watch a project, the alerts they raise, and how those reach people."""
