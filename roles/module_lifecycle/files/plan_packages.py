#!/usr/bin/env python
# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Preflight of the module_lifecycle role, private to this collection.

Runs on the controller only (delegated to localhost, run once): checks the items of
module_lifecycle_artifacts, inspects every package with the collection's own inspector
(plugins/module_utils/_artifact.py, loaded by path: it only needs the standard library) and prints
one JSON document: {"problems": [...], "present": [...], "absent": [...]}. Nothing is contacted.
A package is only read, never extracted.

Usage: plan_packages.py <path of _artifact.py>   (request JSON on stdin:
       {"items": [...], "default_state": "present", "search_dirs": [...]})
"""

from __future__ import absolute_import, division, print_function

import importlib.util
import json
import os
import re
import sys

ALLOWED_KEYS = ("src", "state", "module_name", "version", "semantic_version")
SEMVER = re.compile(r"^\s*(\d+)\.(\d+)(?:\.(\d+))?\s*$")


def load_inspector(path):
    spec = importlib.util.spec_from_file_location("_module_lifecycle_artifact", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def resolve(src, search_dirs):
    """An absolute path for src: as given when absolute, else the first search dir holding it."""
    src = os.path.expanduser(src)
    if os.path.isabs(src):
        return src
    for folder in search_dirs:
        if folder and os.path.exists(os.path.join(folder, src)):
            return os.path.abspath(os.path.join(folder, src))
    return None


def numeric_version(value):
    """(numeric version, semantic version or None) from 10000, "10000", "1.0.0"; None when unusable."""
    if isinstance(value, bool):
        return None, None
    if isinstance(value, int):
        return value, None
    if isinstance(value, float) and value.is_integer():
        return int(value), None
    text = str(value).strip()
    if text.isdigit():
        return int(text), None
    match = SEMVER.match(text)
    if match:
        major, minor, patch = (int(part or 0) for part in match.groups())
        # RAMP's convention (ramp pack): version = major * 10000 + minor * 100 + patch
        return major * 10000 + minor * 100 + patch, text
    return None, None


def plan(request, inspector):
    problems, present, absent = [], [], []
    default_state = request.get("default_state") or "present"
    search_dirs = request.get("search_dirs") or []
    items = request.get("items")
    if items is None:
        items = []
    if not isinstance(items, list):
        return dict(problems=["module_lifecycle_artifacts must be a list, got %s" % type(items).__name__],
                    present=[], absent=[])
    for index, item in enumerate(items):
        label = "module_lifecycle_artifacts[%d]" % index
        if isinstance(item, str):
            item = dict(src=item)
        if not isinstance(item, dict):
            problems.append("%s: must be a dictionary with src, or module_name + version" % label)
            continue
        unknown = sorted(set(item) - set(ALLOWED_KEYS))
        if unknown:
            problems.append("%s: unknown key(s) %s (allowed: %s)" % (label, ", ".join(unknown), ", ".join(ALLOWED_KEYS)))
            continue
        state = item.get("state") or default_state
        if state not in ("present", "absent"):
            problems.append("%s: state must be present or absent, not %r" % (label, state))
            continue
        if item.get("src"):
            if item.get("module_name") or item.get("version") is not None:
                problems.append("%s: give either src or module_name + version, not both" % label)
                continue
            path = resolve(str(item["src"]), search_dirs)
            if path is None:
                problems.append("%s: package %s not found (looked in %s)" % (label, item["src"], ", ".join(search_dirs)))
                continue
            try:
                package = inspector.inspect_package(path)
            except inspector.ArtifactError as exc:
                problems.append("%s: %s" % (label, getattr(exc, "msg", None) or exc))
                continue
            entry = dict(src=path, module_name=package.module_name, version=int(package.version),
                         semantic_version=str(package.semantic_version), architecture=package.architecture,
                         operating_systems=package.operating_systems or [], state=state)
        elif item.get("module_name"):
            if state != "absent":
                problems.append("%s: an item with module_name + version can only be state: absent; give src (the "
                                "package) to have a version present" % label)
                continue
            raw = item.get("version", item.get("semantic_version"))
            version, semver = numeric_version(raw) if raw is not None else (None, None)
            if version is None:
                problems.append("%s: %s needs version (the numeric version, e.g. 10000, or the semantic version, "
                                "e.g. 1.0.0), got %r" % (label, item["module_name"], raw))
                continue
            entry = dict(src=None, module_name=str(item["module_name"]), version=version,
                         semantic_version=semver or item.get("semantic_version"), state=state)
        else:
            problems.append("%s: needs src (a package), or module_name + version with state: absent" % label)
            continue
        entry["key"] = "%s/%d" % (entry["module_name"], entry["version"])
        entry["label"] = "%s %s (%d)" % (entry["module_name"], entry["semantic_version"] or "?", entry["version"])
        (present if state == "present" else absent).append(entry)

    seen = {}
    for entry in present:
        other = seen.get(entry["key"])
        if other is not None and other["src"] != entry["src"]:
            problems.append("%s is given twice, by %s and %s: a version is immutable, keep one package"
                            % (entry["label"], other["src"], entry["src"]))
        seen[entry["key"]] = entry
    for entry in absent:
        if entry["key"] in seen:
            problems.append("%s is listed both as present and as absent" % entry["label"])
    unique_present = list({entry["key"]: entry for entry in present}.values())
    unique_absent = list({entry["key"]: entry for entry in absent}.values())
    return dict(problems=problems, present=unique_present, absent=unique_absent)


def main():
    inspector = load_inspector(sys.argv[1])
    request = json.load(sys.stdin)
    json.dump(plan(request, inspector), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
