# -*- coding: utf-8 -*-
# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
name: module_package
short_description: Read and check Redis Enterprise module packages on the controller
version_added: 0.1.0
description:
  - Finds each module package (the zip C(ramp pack) makes, holding C(module.json) and the module C(.so)) on the
    controller, checks it the way M(redisops.custom_modules.redis_module_artifact) and
    M(redisops.custom_modules.redis_user_module) do before they send anything, and returns what the package holds.
  - A relative path is looked up like M(ansible.builtin.copy) and the P(ansible.builtin.file#lookup) lookup do, in the
    C(files/) folder and the folder of the current role, then of the playbook.
  - A vault-encrypted package is decrypted into a temporary file on the controller, removed right after reading; the
    returned RV(_raw[].path) and every error message name the encrypted file the user gave.
  - The package is only read, never extracted. Nothing is contacted.
  - A package that cannot be used fails the lookup with a message naming the file, the problem and what to do about
    it. The rules are those Redis Enterprise applies to a package (RAMP's unpacker) and a few more - missing, not a
    zip, no or invalid C(module.json); members other than C(module.json), one C(.so) and C(deps/*); no C(module_file);
    an C(architecture) other than V(x86_64) or V(aarch64), or one that does not match the ELF; a module file that is not
    a 64-bit ELF shared object; a C(version) that C(int(float(version))) cannot read; an C(operating_systems) entry
    that is not a name and a version; an unsafe C(module_name) (C(/), C(\), control characters, whitespace, C(.) or
    C(..), more than 128 characters); a declared dependency found neither as C(deps/<last path segment of its url>)
    nor as C(deps/<name>.tgz), or not matching its C(sha256); larger than 500 MB.
author:
  - redisops maintainers (@redisops)
options:
  _terms:
    description:
      - Paths of module packages (zip) on the controller; absolute, starting with C(~), or relative (see above).
    type: list
    elements: path
    required: true
notes:
  - Runs on the controller only; the managed hosts are not involved.
  - Use C(query('redisops.custom_modules.module_package', ...)) (or C(lookup(..., wantlist=true))) to always get a list.
seealso:
  - module: redisops.custom_modules.redis_module_artifact
  - module: redisops.custom_modules.redis_user_module
  - plugin: ansible.builtin.file
    plugin_type: lookup
"""

EXAMPLES = r"""
- name: Show the module and version a package holds
  ansible.builtin.debug:
    msg: "{{ pkg.module_name }} {{ pkg.semantic_version }} ({{ pkg.version }}) for {{ pkg.architecture }}"
  vars:
    pkg: "{{ lookup('redisops.custom_modules.module_package', 'files/hello-1.0.0.zip') }}"

- name: Check every package before a rollout (a bad package fails here, naming the file)
  ansible.builtin.set_fact:
    packages: "{{ query('redisops.custom_modules.module_package', *module_zips) }}"
  vars:
    module_zips:
      - /srv/modules/hello-1.0.0.zip
      - hello-2.0.0.zip.vault   # vault-encrypted, in the role's or the playbook's files/

- name: Upload the package found in files/ to every node
  redisops.custom_modules.redis_module_artifact:
    url: "https://{{ ansible_host }}:9443"
    src: "{{ pkg.path }}"
  delegate_to: localhost
  vars:
    pkg: "{{ lookup('redisops.custom_modules.module_package', 'hello-1.0.0.zip') }}"
"""

RETURN = r"""
_raw:
  description: One dictionary per package, in the order of the terms.
  type: list
  elements: dict
  contains:
    path:
      description:
        - Absolute path of the package on the controller, as found (for a vaulted package, the encrypted file).
        - Suitable for O(redisops.custom_modules.redis_module_artifact#module:src) and
          O(redisops.custom_modules.redis_user_module#module:artifact).
      type: path
      sample: /home/deploy/playbooks/files/hello-1.0.0.zip
    module_name:
      description: The module's name, from C(module.json).
      type: str
      sample: hello
    version:
      description: The numeric version from C(module.json) (RAMP's C(major*10000+minor*100+patch)).
      type: int
      sample: 10000
    semantic_version:
      description: The semantic version from C(module.json).
      type: str
      sample: 1.0.0
    architecture:
      description: Architecture of the module's shared object, read from its ELF header.
      type: str
      sample: x86_64
    operating_systems:
      description: The operating systems C(module.json) declares, or V(null) when it declares none.
      type: list
      elements: str
      sample: [rhel9, ubuntu22]
    dependencies:
      description:
        - Names of the dependencies the package declares and carries, stored as C(deps/<last path segment of the url>)
          (RedisGears' C(-withdeps) packages) or C(deps/NAME.tgz) (C(ramp pack)).
      type: list
      elements: str
      sample: []
    size:
      description: Size of the (decrypted) package in bytes.
      type: int
      sample: 16724
    metadata:
      description: The whole C(module.json), with C(version) as an integer.
      type: dict
"""

import os

from ansible.errors import AnsibleError, AnsibleLookupError
from ansible.module_utils.common.text.converters import to_native, to_text
from ansible.plugins.lookup import LookupBase
from ansible.utils.display import Display

from ansible_collections.redisops.custom_modules.plugins.module_utils._artifact import ArtifactError
from ansible_collections.redisops.custom_modules.plugins.plugin_utils._controller_package import controller_package


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        return [self._package(term, variables or {}) for term in terms]

    def _package(self, term, variables):
        term = to_text(term)
        found = self.find_file_in_search_path(variables, 'files', term, ignore_missing=True)
        if not found:
            raise AnsibleLookupError(
                'module package %s not found on the controller; a relative path is looked up in files/ and the folder of '
                'the role, then of the playbook (-vvvvv lists every place)' % term)
        path = os.path.abspath(to_native(found))
        try:
            with controller_package(self._loader, path) as package:
                for warning in package.warnings:
                    Display().warning(warning)
        except ArtifactError as exc:
            raise AnsibleLookupError(to_native(exc.msg))
        except AnsibleError as exc:
            raise AnsibleLookupError('module package %s cannot be decrypted: %s' % (path, to_native(exc)))
        return dict(
            path=path,
            module_name=package.module_name,
            version=int(package.version),
            semantic_version=package.semantic_version,
            architecture=package.architecture,
            operating_systems=package.operating_systems,
            dependencies=list(package.dependencies or []),
            size=package.size,
            metadata=package.metadata,
        )
