#!/usr/bin/env python
import os
import sys

from django.core.management import execute_from_command_line

from sentimatrix.startup import prepare_environment


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sentimatrix.settings.dev")
    # The settings only read the environment: the embedded database and development keys are
    # provided here, before they load, and only for the commands that need them.
    prepare_environment(sys.argv[1:])
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
