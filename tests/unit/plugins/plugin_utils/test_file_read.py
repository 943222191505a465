# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one-command read of a format's files, and the decision the action plugin draws from it.

The reader's program really runs (a POSIX shell and this Python, on real files); the decision
it feeds must be exactly the module's own, for every format that allows it, on every kind of
host state: unchanged, edited, re-moded, removed, left half-written.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from ansible.errors import AnsibleError
from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mailops.smtp.plugins.module_utils import _apply, _formats
from ansible_collections.mailops.smtp.plugins.module_utils._formats import _common
from ansible_collections.mailops.smtp.plugins.plugin_utils import _file_read
from ansible_collections.mailops.smtp.plugins.plugin_utils._host_python import interpreter_of

SECRET = "Read-Sentinel-7f3a"
RELAY = {"name": "relay", "host": "smtp.example.org", "port": 587,
         "auth": {"username": "mailer@example.org", "password": SECRET},
         "senders": {"default": "noreply@example.org"}}
TEMPLATE = "MAIL_HOST=smtp.example.org\nMAIL_PASSWORD=%s\n" % SECRET


class NoHost:
    def run(self, cmd):
        raise AssertionError("unexpected command %r" % (cmd,))

    def which(self, name):
        return None


def read(paths, owner=None, group=None):
    """What the action plugin gets: the reader's command run by a POSIX shell."""
    return read_all(paths, owner, group)[:3]


def read_all(paths, owner=None, group=None, path=None):
    """read, and the facts of path (the first of paths by default) the module's result would carry."""
    cmd = _file_read.command(sys.executable, paths, owner, group, path)
    proc = subprocess.run(["/bin/sh", "-c", cmd], capture_output=True, text=True, check=True)
    return _file_read.parse(proc.stdout, paths)


class _PathFacts:
    """What AnsibleModule.add_path_info needs of a module, on a host without SELinux."""

    @staticmethod
    def user_and_group(path):
        st = os.stat(path)
        return st.st_uid, st.st_gid

    @staticmethod
    def selinux_enabled():
        return False


def core_path_facts(path):
    """The keys ansible-core's AnsibleModule adds to a result naming path (add_path_info), path itself left out."""
    facts = AnsibleModule.add_path_info(_PathFacts(), {"path": path})
    del facts["path"]
    return facts


def decided_formats():
    return sorted(name for name, spec in _formats.FORMATS.items() if spec.decided_from_files)


def params_for(fmt, path, **kw):
    out = dict((name, spec.get("default")) for name, spec in _apply.argument_spec().items())
    out.update(config=[RELAY], format=fmt, path=path, state="replaced")
    if _formats.get(fmt).jinja_option:
        out.update(content=TEMPLATE, diff_content=TEMPLATE.replace(SECRET, "********"))
    out.update(kw)
    return out


def planned(params):
    """The action plugin's plan (_unchanged without Ansible): files read by the reader, _apply.decide.

    Returns (format, path, planned changes, result).
    """
    spec = _formats.get(params["format"])
    path = os.path.normpath(params["path"])
    files = spec.files(path)
    texts, stats, ids = read(sorted(set(files.values())), params.get("owner"), params.get("group"))
    result = {"changed": False, "path": path}
    changes = _apply.decide(spec, params, path, [_common.canonical(c) for c in params["config"]],
                            spec.options_from(params, path), dict((k, texts[full]) for k, full in files.items()),
                            stats.get, ids, result, diff_mode=True)[0]
    return spec, path, changes, result


def quick(params):
    """The action plugin's decision: the result of planned()."""
    return planned(params)[3]


def module(params):
    """The module's own decision on the same host (check mode: it writes nothing)."""
    return _apply.apply(params, NoHost(), check_mode=True, diff_mode=True, checked=True)


def write(params):
    """The module's run (the capabilities judged as the controller does: these tests are about files)."""
    return _apply.run(params, NoHost(), checked=True)


def target(tmp_path, fmt):
    spec = _formats.get(fmt)
    if spec.directory:
        path = tmp_path / "conf"
        path.mkdir()
        return str(path)
    return str(tmp_path / ("mail.%s" % fmt))


def test_the_decided_formats_are_those_whose_decision_needs_only_the_files():
    assert {"postfix", "exim4", "dma", "nullmailer"}.isdisjoint(decided_formats())
    assert {"msmtp", "env", "jsonfile" if "jsonfile" in _formats.NAMES else "json", "template"} <= set(decided_formats())


def outcome(decide, params):
    """A decision, or the error the module would report instead."""
    try:
        return decide(params)
    except _apply.ApplyError as exc:
        return "error: %s" % exc


@pytest.mark.parametrize("fmt", decided_formats())
def test_the_decision_from_one_read_is_the_modules_in_every_state_of_the_files(tmp_path, fmt):
    path = target(tmp_path, fmt)
    params = params_for(fmt, path)
    first = quick(params)
    # Nothing there yet (the diff aside: the template format draws a new key for a new file).
    assert first["changed"] is True and dict(first, diff=None) == dict(module(params), diff=None)
    write(params)
    unchanged = quick(params)
    assert unchanged == module(params) and unchanged["changed"] is False
    assert SECRET not in repr(unchanged)

    files = [f for f in _formats.get(fmt).files(path).values() if os.path.exists(f)]
    for name in files:  # modes the run must restore (on the files that hold a secret)
        os.chmod(name, 0o644)
    assert quick(params) == module(params) and quick(params)["changed"] is True
    write(params)
    with open(files[0], "a", encoding="utf-8") as handle:  # an edit by hand
        handle.write("\n# edited by hand\n")
    assert outcome(quick, params) == outcome(module, params)
    os.unlink(files[0])
    write(params)
    other = params_for(fmt, path, config=[dict(RELAY, port=465, security="tls")])  # another declaration
    assert quick(other) == module(other) and quick(other)["changed"] is True
    os.unlink(files[-1])
    gone = quick(params)
    assert gone["changed"] is True and dict(gone, diff=None) == dict(module(params), diff=None)


@pytest.mark.parametrize("fmt", ["msmtp", "env"])
def test_owner_group_and_mode_options_are_judged_like_the_module(tmp_path, fmt):
    path = target(tmp_path, fmt)
    params = params_for(fmt, path, owner=str(os.getuid()), group=str(os.getgid()), mode="0640")
    write(params)
    assert quick(params) == module(params) and quick(params)["changed"] is False
    assert quick(dict(params, mode="0600")) == module(dict(params, mode="0600"))
    assert quick(dict(params, mode="0600"))["changed"] is True


def test_files_that_exist_and_that_do_not(tmp_path):
    present, absent = tmp_path / "present", tmp_path / "absent"
    present.write_bytes("x = ✓\n".encode())
    os.chmod(present, 0o640)
    texts, stats, ids = read([str(present), str(absent)])
    assert texts == {str(present): "x = ✓\n", str(absent): None}
    assert stats == {str(present): (0o640, os.getuid(), os.getgid())}
    assert ids == (-1, -1)


def test_a_symlinked_file_is_read_through_its_link(tmp_path):
    real = tmp_path / "real.conf"
    real.write_text("a\n", encoding="utf-8")
    link = tmp_path / "link.conf"
    link.symlink_to(real)
    texts, stats, _ids = read([str(link)])
    assert texts[str(link)] == "a\n" and stats[str(link)][0] == os.stat(real).st_mode & 0o7777


@pytest.mark.parametrize("case", ["directory", "not-utf8", "stale-temp", "no-such-owner", "no-such-group"])
def test_what_only_the_module_can_judge_is_left_to_it(tmp_path, case):
    path = tmp_path / "mail.conf"
    path.write_text("a\n", encoding="utf-8")
    owner = group = None
    if case == "directory":
        path = tmp_path / "sub"
        path.mkdir()
    elif case == "not-utf8":
        path.write_bytes(b"\xff\xfe\n")
    elif case == "stale-temp":
        (tmp_path / ".mail.conf.Ab3_x9Qz.tmp").write_text("half", encoding="utf-8")
    elif case == "no-such-owner":
        owner = "no-such-user-mailops"
    else:
        group = "no-such-group-mailops"
    with pytest.raises(_file_read.Unreadable):
        read([str(path)], owner, group)


@pytest.mark.parametrize("output", ["", "not json", "[]", '{"files": {}}', '{"files": {}, "stale": false, "ids": [1]}',
                                    '{"files": {"/x": [1, 2]}, "stale": false, "ids": [-1, -1]}',
                                    '{"files": {"/x": 13}, "stale": false, "ids": [-1, -1]}'])
def test_output_that_is_not_a_clean_read_leaves_the_decision_to_the_module(output):
    with pytest.raises(_file_read.Unreadable):
        _file_read.parse(output, ["/x"])


def test_an_interpreter_named_as_a_command_is_run_as_one(tmp_path):
    (tmp_path / "a.conf").write_text("a\n", encoding="utf-8")
    cmd = _file_read.command("/usr/bin/env %s" % sys.executable, [str(tmp_path / "a.conf")])
    proc = subprocess.run(["/bin/sh", "-c", cmd], capture_output=True, text=True, check=True)
    assert _file_read.parse(proc.stdout, [str(tmp_path / "a.conf")])[0] == {str(tmp_path / "a.conf"): "a\n"}


def test_the_command_names_paths_and_options_but_no_content(tmp_path):
    cmd = _file_read.command("/usr/bin/python3", [str(tmp_path / "it's here.conf")], "mail", None)
    assert cmd.startswith("/usr/bin/python3 -c ")
    # The request travels base64-encoded: any path survives the shell unchanged.
    texts, _stats, _ids = read([str(tmp_path / "it's here.conf")])
    assert texts == {str(tmp_path / "it's here.conf"): None}


def _no_template(value):
    raise AssertionError("nothing to template in %r" % value)


@pytest.mark.parametrize("task_vars, expected", [
    ({"ansible_python_interpreter": "/usr/bin/python3"}, "/usr/bin/python3"),
    ({"ansible_python_interpreter": "/usr/bin/env python3"}, "/usr/bin/env python3"),
    ({"ansible_python_interpreter": "python3"}, "python3"),
    ({"ansible_python_interpreter": "auto_silent",
      "ansible_facts": {"discovered_interpreter_python": "/usr/bin/python3.11"}}, "/usr/bin/python3.11"),
    ({"ansible_facts": {"discovered_interpreter_python": "/usr/bin/python3.11"}}, "/usr/bin/python3.11"),
    ({"ansible_python_interpreter": "auto"}, None),
    ({}, None),
    ({"ansible_python_interpreter": "  "}, None),
    ({"ansible_python_interpreter": "/usr/bin/python3\nid"}, None),
])
def test_the_interpreter_is_the_one_ansible_would_run_or_none(task_vars, expected):
    assert interpreter_of(task_vars, _no_template) == expected


def test_a_templated_interpreter_is_rendered_and_a_failing_one_leaves_the_module_to_run():
    assert interpreter_of({"ansible_python_interpreter": "{{ py }}"}, lambda _value: "/opt/py/bin/python") == \
        "/opt/py/bin/python"

    def failing(_value):
        raise AnsibleError("py is undefined")
    assert interpreter_of({"ansible_python_interpreter": "{{ py }}"}, failing) is None


def test_the_path_facts_are_those_ansible_core_adds_to_a_modules_result(tmp_path):
    plain = tmp_path / "msmtprc"
    plain.write_text("account relay\n", encoding="utf-8")
    os.chmod(plain, 0o600)
    linked = tmp_path / "linked"
    linked.symlink_to(plain)
    hard = tmp_path / "hard"
    os.link(plain, hard)
    (tmp_path / "conf").mkdir()
    for path in (plain, linked, hard, tmp_path / "conf"):
        assert read_all([str(plain)], path=str(path))[3] == core_path_facts(str(path)), path
    assert read_all([str(tmp_path / "absent")])[3] == {}
    facts = read_all([str(plain)])[3]
    assert facts["mode"] == "0600" and facts["state"] == "hard" and facts["size"] == len("account relay\n")
