# -*- coding: utf-8 -*-
# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The download option of the modules that take a module package. Private to this collection."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):

    DOCUMENTATION = r'''
options:
  download:
    description:
      - The module package in an artifact repository (Artifactory, Nexus, an S3 bucket behind HTTPS, a release page),
        instead of a file on the controller.
      - The action plugin downloads it on the controller into a cache kept by SHA-256 (one folder per checksum), streamed to
        disk in chunks, and compares its SHA-256 with O(download.checksum) before anything reads it; the copy is then used
        exactly as a package on the controller (checked, copied to the managed host only when an upload is needed).
      - A copy already in the cache is verified again and used without a download, so a task on many hosts, or a
        re-run, downloads once. Parallel tasks (forks) wait for the first download instead of starting their own.
      - Check mode downloads too, since the package's C(module.json) says what would change; nothing is written to the
        cluster.
      - Returned as RV(download).
    type: dict
    version_added: 0.2.0
    suboptions:
      url:
        description:
          - C(https://) address of the package. Redirects are followed, to C(https://) addresses only.
          - Messages show it without credentials, query or fragment.
        type: str
        required: true
      checksum:
        description:
          - C(sha256:) and the 64 hex digits of the package's SHA-256 (what C(sha256sum) prints).
          - A download with another checksum is discarded and fails the task, naming both values, before anything is sent
            to the cluster.
        type: str
        required: true
      ca_path:
        description: CA bundle (PEM) that signed the repository's certificate. Default - the system trust store.
        type: path
      validate_certs:
        description:
          - Whether to verify the repository's TLS certificate. With V(false) the task warns when credentials are sent;
            the checksum still guards the file.
        type: bool
        default: true
      headers:
        description: HTTP headers for the request (an C(Authorization) bearer token, C(X-JFrog-Art-Api)). Their values never appear in messages.
        type: dict
      url_username:
        description: User for HTTP basic authentication to the repository.
        type: str
      url_password:
        description: Password of O(download.url_username). Never shown, at any verbosity.
        type: str
      timeout:
        description: Seconds to wait for the repository to answer (and between two parts of the body).
        type: int
        default: 30
      allow_http:
        description:
          - Accept an C(http://) url. Anyone on the network path can then read the credentials and see the package; the
            checksum still refuses a replaced file.
        type: bool
        default: false
      cache_dir:
        description:
          - Folder on the controller for downloaded packages, one per checksum; created with mode C(0700).
          - Default - C(redisops.custom_modules/packages) under E(XDG_CACHE_HOME), by default
            C(~/.cache/redisops.custom_modules/packages).
        type: path
'''
