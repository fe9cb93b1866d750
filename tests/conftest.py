# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared pytest set-up: makes the collection importable as ansible_collections.redisops.custom_modules
and loads the fixture plugins (the emulator, the real test modules)."""

import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(REPO, "collections")
_LINK = os.path.join(COLLECTIONS, "ansible_collections", "redisops", "custom_modules")

if not os.path.lexists(_LINK):
    os.makedirs(os.path.dirname(_LINK), exist_ok=True)
    os.symlink(os.path.relpath(REPO, os.path.dirname(_LINK)), _LINK)
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)
if REPO not in sys.path:
    sys.path.insert(0, REPO)

pytest_plugins = ["tests.pytest_emulator", "tests.pytest_testmodules", "tests.package_server"]
