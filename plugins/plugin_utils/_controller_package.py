# -*- coding: utf-8 -*-
# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A module package on the controller, as the plugins read it: found, decrypted, inspected, cleaned up.

Controller-side only (action and lookup plugins). This module is private to this collection: its interface
may change without notice.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import contextlib

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.redisops.custom_modules.plugins.module_utils._artifact import ArtifactError, inspect_package
from ansible_collections.redisops.custom_modules.plugins.plugin_utils._download import DownloadError, fetch_option


def find_package(action, path, option):
    """The controller path of ``path``, resolved like copy's src (a role's ``files/`` is searched).

    ``option`` names the task option in the AnsibleError raised when there is no such file.
    Private to this collection.
    """
    try:
        return action._find_needle('files', path)
    except AnsibleError as exc:
        raise AnsibleError('%s %s not found on the controller: %s (set remote_src: true for a path on the managed host)'
                           % (option, path, to_text(exc)))


@contextlib.contextmanager
def controller_package(loader, source):
    """Decrypt ``source`` when it is vaulted (through the plugin's DataLoader), inspect it, and yield the Package.

    The Package's ``path`` is the readable file (the decrypted temporary copy of a vaulted file),
    valid until the block ends; then the copy is removed (never the source). An invalid package
    raises ArtifactError whose ``msg`` names ``source``, not the decrypted copy; a vault failure
    raises AnsibleError. Private to this collection.
    """
    real = loader.get_real_file(source, decrypt=True)
    try:
        try:
            package = inspect_package(real)
        except ArtifactError as exc:
            text = to_text(getattr(exc, 'msg', None) or exc)
            if real != source:
                text = text.replace(real, source)
            if source not in text:
                text = '%s: %s' % (source, text)
            raise ArtifactError(text, source)
        if real != source:
            package.warnings = [warning.replace(real, source) for warning in package.warnings]
        yield package
    finally:
        loader.cleanup_tmp_file(real)


def package_metadata(loader, source):
    """``(metadata, warnings)`` of the package at ``source`` on the controller: its module.json, for the module object.

    Raises as controller_package does. Private to this collection.
    """
    with controller_package(loader, source) as package:
        return package.metadata, list(package.warnings)


def download_conflict(path, remote_src, conflicting, path_option):
    """Why a module's ``download`` cannot be used with the other options given, or None."""
    if path is not None:
        return 'give either %s (a file) or download (a url and checksum), not both' % path_option
    if remote_src:
        return 'download fetches the package on the controller: remote_src: true does not apply to it'
    if conflicting:
        return 'download names a package: %s cannot be given with it' % ' and '.join(conflicting)
    return None


def fetch_download(download, path, remote_src, conflicting, path_option):
    """A module's ``download`` option, fetched once it fits the other options given: ``(path, facts, warnings)``.

    ``path`` is the value of the module's file option (``path_option``), ``conflicting`` the names of the other options
    given that a package named by its url cannot take. DownloadError says what is wrong, before any connection when the
    options do not fit.
    """
    problem = download_conflict(path, remote_src, conflicting, path_option)
    if problem:
        raise DownloadError(problem)
    return fetch_option(download)


def downloaded_problem(text, path, shown):
    """A problem with a downloaded package, naming its url and then where the copy is."""
    named = '%s (downloaded to %s)' % (shown, path)
    return text.replace(path, named) if path in text else '%s: %s' % (named, text)
