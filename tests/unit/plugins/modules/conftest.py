# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Drive a module's main() the way Ansible does, and parse the JSON result it prints.

`run_module(main, args, check_mode=False, diff=False)` returns a ModuleResult: the parsed result
(dict access), `.failed`, `.rc` and `.raw` (the printed text, to assert that a secret is absent).
`module_runner` binds it to one module and its connection options; `fake_client` puts a fake REST
client (built on `FakeREST`) in place of the real one; `module_warnings` makes a module's warnings
land in its result, and only that test's.
"""

import json

import pytest

from ansible.module_utils import _internal as _module_utils_internal
from ansible.module_utils.common import warnings as _warnings
from ansible.module_utils.testing import patch_module_args
from ansible_collections.redisops.custom_modules.plugins.module_utils import _argspec
from ansible_collections.redisops.custom_modules.plugins.module_utils._errors import RedisEnterpriseError, hint_for


class ModuleResult(dict):
    def __init__(self, data, rc, raw):
        super(ModuleResult, self).__init__(data)
        self.rc = rc
        self.raw = raw

    @property
    def failed(self):
        return bool(self.get("failed"))


@pytest.fixture
def module_warnings(monkeypatch):
    """Module warnings in the result (``result["warnings"]``), none left over from another test.

    ansible-core keeps module warnings in a process-wide registry; and once controller code is
    imported in the same process (the action plugin tests), they go to the controller's display
    instead of the result.
    """
    monkeypatch.setattr(_warnings, "_global_warnings", {})
    monkeypatch.setattr(_module_utils_internal, "is_controller", False)


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


def warning_texts(result):
    """The text of each warning in a module result: a string, or on ansible-core 2.19+ a structured event
    (``{"event": {"msg": ...}}``)."""
    return [str(warning.get("event", {}).get("msg", warning)) if isinstance(warning, dict) else str(warning)
            for warning in result.get("warnings") or []]


# -- fakes of the REST client ---------------------------------------------------------------------
# Test modules import these (from tests.unit.plugins.modules.conftest import ...); the fixtures below
# need no import.

def http_error(method, path, status, error_code=None, description="refused"):
    """The RedisEnterpriseError the real client raises for this answer, hint included."""
    return RedisEnterpriseError(description, method=method, path=path, status=status, error_code=error_code,
                                description=description, hint=hint_for(method, path, status, error_code))


class FakeREST(object):
    """The parts of a fake client every module test needs.

    A call log (``calls``; ``writes()`` lists the calls named in WRITES), injected failures
    (``fail``: method name -> exceptions raised by its next calls) and the cluster's
    allow_modules_upload setting (GET/PUT /v1/cluster; ``allow_upload=None``: no such setting, as on 8.0).
    """

    WRITES = ()

    def __init__(self, allow_upload=True):
        self.cluster = {"name": "c1"}
        if allow_upload is not None:
            self.cluster["allow_modules_upload"] = allow_upload
        self.calls = []
        self.fail = {}

    def _call(self, name):
        self.calls.append(name)
        pending = self.fail.get(name)
        if pending:
            raise pending.pop(0)

    def writes(self):
        return [call for call in self.calls if call in self.WRITES]

    def get_cluster(self):
        self._call("get_cluster")
        return dict(self.cluster)

    def set_allow_modules_upload(self, value):
        self._call("set_allow_modules_upload")
        self.cluster["allow_modules_upload"] = value
        return dict(self.cluster)


@pytest.fixture
def fake_client(monkeypatch):
    """fake_client(factory) -> make: make(**kwargs) builds factory(**kwargs), the client every module then gets."""
    holder = {}
    monkeypatch.setattr(_argspec, "client_from_module", lambda module, **kw: holder["client"])

    def install(factory):
        def make(**kwargs):
            holder["client"] = factory(**kwargs)
            return holder["client"]
        return make
    return install


@pytest.fixture
def module_runner(run_module):
    """module_runner(main, conn, secret=None) -> run(args, check_mode=False, diff=False).

    ``args`` are merged over ``conn``; with ``secret``, asserts that it is never printed, nor a traceback.
    """
    def bind(main, conn, secret=None):
        def run(args, **kwargs):
            merged = dict(conn)
            merged.update(args)
            result = run_module(main, merged, **kwargs)
            if secret is not None:
                assert secret not in result.raw
                assert "Traceback" not in result.raw
            return result
        return run
    return bind
