# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Drive a module's main() the way Ansible does, and parse the JSON result it prints.

`run_module(main, args, check_mode=False, diff=False)` returns a ModuleResult: the parsed result
(dict access), `.failed`, `.rc` and `.raw` (the printed text, to assert that a secret is absent).
"""

import json

import pytest

from ansible.module_utils.testing import patch_module_args


class ModuleResult(dict):
    def __init__(self, data, rc, raw):
        super(ModuleResult, self).__init__(data)
        self.rc = rc
        self.raw = raw

    @property
    def failed(self):
        return bool(self.get("failed"))


@pytest.fixture
def run_module(capsys):
    def run(main, args, check_mode=False, diff=False):
        module_args = dict(args)
        if check_mode:
            module_args["_ansible_check_mode"] = True
        if diff:
            module_args["_ansible_diff"] = True
        capsys.readouterr()
        rc = None
        with patch_module_args(module_args):
            try:
                main()
            except SystemExit as exc:
                rc = exc.code
        raw = capsys.readouterr().out
        assert rc is not None, "main() returned without exit_json/fail_json:\n%s" % raw
        try:
            data = json.loads(raw.strip().splitlines()[-1])
        except (ValueError, IndexError):
            pytest.fail("module did not print a JSON result (rc=%s):\n%s" % (rc, raw))
        return ModuleResult(data, rc, raw)

    return run
