# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Plan, diff, atomic locked writes and states of mailops.smtp.connector, on real files in a temp dir."""

from __future__ import annotations

import json
import multiprocessing
import os
import shlex
import shutil
import stat
import subprocess

import pytest

from ansible_collections.mailops.smtp.plugins.module_utils import _apply
from ansible_collections.mailops.smtp.plugins.module_utils._formats import postfix

PASSWORD = 'Sup3r "secret" $pw'
RELAY = {"name": "relay", "host": "smtp.example.org", "port": 587,
         "auth": {"username": "mailer@example.org", "password": PASSWORD},
         "senders": {"default": "noreply@example.org"}}
PORTAL = {"name": "portal", "host": "smtp2.example.org", "senders": {"default": "portal@example.org"}}


class FakeHost:
    """Runs commands for real (validate), answers 'which' from a table (postmap/postfix)."""

    def __init__(self, binaries=None, fail=None):
        self.binaries = binaries or {}
        self.fail = fail or ()
        self.calls = []

    def run(self, cmd):
        argv = shlex.split(cmd) if isinstance(cmd, str) else list(cmd)
        self.calls.append(argv)
        if any(word in argv for word in self.fail):
            return 1, "", "fatal: simulated failure"
        if argv[0].startswith("/fake/"):
            return 0, "", ""
        proc = subprocess.run(argv, capture_output=True, text=True, check=False)
        return proc.returncode, proc.stdout, proc.stderr

    def which(self, name):
        return self.binaries.get(name)


def params(**kw):
    out = dict(config=[RELAY], format="json", path=None, state="replaced", template=None, content=None,
               diff_content=None, keymap=None, running_config=None, default_connector=None, backup=False,
               mode=None, owner=None, group=None, validate=None, postfix_map_type="hash", postmap=True,
               postfix_check=True, lock_timeout=5)
    out.update(kw)
    return out


def all_text(result):
    return json.dumps(result)


def test_merge_states():
    cur = [{"name": "a", "host": "1"}, {"name": "b", "host": "2"}]
    assert _apply.merge(cur, [{"name": "b", "host": "9"}, {"name": "c"}], "replaced") == [
        {"name": "a", "host": "1"}, {"name": "b", "host": "9"}, {"name": "c"}]
    assert _apply.merge(cur, [{"name": "c"}], "overridden") == [{"name": "c"}]
    assert _apply.merge(cur, [{"name": "a"}], "deleted") == [{"name": "b", "host": "2"}]
    assert _apply.merge(cur, [], "deleted") == []


@pytest.mark.parametrize("fmt,name", [("json", "smtp.json"), ("yaml", "smtp.yml"), ("env", "smtp.env"),
                                      ("ini", "smtp.ini"), ("msmtp", "msmtprc"), ("javamail", "mail.properties")])
def test_check_then_apply_then_idempotent(tmp_path, fmt, name):
    path = str(tmp_path / name)
    host = FakeHost()
    p = params(format=fmt, path=path)
    checked = _apply.run(p, host, check_mode=True, diff_mode=True)
    assert checked["changed"] is True and not os.path.exists(path)
    assert checked["diff"][0]["before"] == "" and "smtp.example.org" in checked["diff"][0]["after"]
    first = _apply.run(p, host, diff_mode=True)
    assert first["changed"] is True and os.path.exists(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert first["mode_notes"] == ["%s: mode 0600 because the file holds a secret" % path]
    second = _apply.run(p, host, diff_mode=True)
    assert second["changed"] is False and second["diff"] == []
    for result in (checked, first, second):
        text = all_text(result)
        assert "Sup3r" not in text
    assert "********" in first["diff"][0]["after"]
    assert os.listdir(str(tmp_path)) == [name]


def test_gathered_reports_secret_state_not_value(tmp_path):
    path = str(tmp_path / "msmtprc")
    _apply.run(params(format="msmtp", path=path, config=[RELAY, PORTAL]), FakeHost())
    gathered = _apply.run(params(format="msmtp", path=path, state="gathered", config=[]), FakeHost())["gathered"]
    assert [c["name"] for c in gathered] == ["relay", "portal"]
    assert "password" not in gathered[0]["auth"]
    same = _apply.run(params(format="msmtp", path=path, state="gathered"), FakeHost())
    assert same["changed"] is False
    changed_pw = dict(RELAY, auth=dict(RELAY["auth"], password="new"))
    drift = _apply.run(params(format="msmtp", path=path, state="gathered", config=[changed_pw]), FakeHost())
    assert drift["gathered"][0]["auth"]["password"] == "changed"
    again = _apply.run(params(format="msmtp", path=path, state="gathered", config=[RELAY]), FakeHost())
    assert again["gathered"][0]["auth"]["password"] == "unchanged"
    assert again["gathered"][0]["host"] == "smtp.example.org"


def test_overridden_and_deleted(tmp_path):
    path = str(tmp_path / "smtp.ini")
    _apply.run(params(format="ini", path=path, config=[RELAY, PORTAL]), FakeHost())
    res = _apply.run(params(format="ini", path=path, config=[PORTAL]), FakeHost())
    assert res["changed"] is False and res["connectors"] == ["relay", "portal"]
    res = _apply.run(params(format="ini", path=path, config=[PORTAL], state="overridden"), FakeHost())
    assert res["changed"] is True and res["connectors"] == ["portal"]
    res = _apply.run(params(format="ini", path=path, config=[PORTAL], state="deleted"), FakeHost())
    assert res["connectors"] == []
    with open(path) as handle:
        assert "[portal]" not in handle.read()


def test_validate_failure_keeps_old_file_and_leaves_nothing(tmp_path):
    path = tmp_path / "smtp.json"
    path.write_text("{}\n")
    with pytest.raises(_apply.ApplyError) as err:
        _apply.run(params(path=str(path), validate="false %s"), FakeHost())
    assert "validation command failed" in str(err.value)
    assert path.read_text() == "{}\n"
    assert sorted(os.listdir(str(tmp_path))) == ["smtp.json"]
    ok = _apply.run(params(path=str(path), validate="python3 -m json.tool %s"), FakeHost())
    assert ok["changed"] is True


def test_validate_needs_placeholder(tmp_path):
    with pytest.raises(_apply.ApplyError, match="must contain %s"):
        _apply.run(params(path=str(tmp_path / "a.json"), validate="true"), FakeHost())


def test_clear_errors_for_bad_paths(tmp_path):
    with pytest.raises(_apply.ApplyError, match="directory does not exist"):
        _apply.run(params(path=str(tmp_path / "missing" / "a.json")), FakeHost())
    (tmp_path / "adir").mkdir()
    with pytest.raises(_apply.ApplyError, match="is a directory"):
        _apply.run(params(path=str(tmp_path / "adir")), FakeHost())
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(_apply.ApplyError, match="cannot be read as format json"):
        _apply.run(params(path=str(tmp_path / "bad.json")), FakeHost())
    with pytest.raises(_apply.ApplyError, match="mode: 'rw' is not an octal"):
        _apply.run(params(path=str(tmp_path / "m.json"), mode="rw"), FakeHost())


def test_unwritable_directory_is_reported():
    # /proc/sys refuses new files even to root: the error names the path, nothing is left behind.
    with pytest.raises(_apply.ApplyError) as err:
        _apply.run(params(path="/proc/sys/mailops-test.json"), FakeHost())
    assert "/proc/sys/mailops-test.json" in str(err.value)


def test_lock_timeout(tmp_path):
    with _apply.DirLock(str(tmp_path), 1):
        with pytest.raises(_apply.ApplyError, match="another run still holds the lock"):
            _apply.run(params(path=str(tmp_path / "a.json"), lock_timeout=0), FakeHost())


def _apply_many(path, name, rounds):
    for index in range(rounds):
        conn = {"name": name, "host": "h%d.example.org" % index, "senders": {"default": "a@example.org"}}
        _apply.run(params(path=path, config=[conn]), FakeHost())


def test_concurrent_runs_do_not_lose_updates(tmp_path):
    path = str(tmp_path / "smtp.json")
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_apply_many, args=(path, "c%d" % i, 15)) for i in range(4)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(60)
        assert proc.exitcode == 0
    with open(path) as handle:
        doc = json.load(handle)
    assert sorted(c["name"] for c in doc["connectors"]) == ["c0", "c1", "c2", "c3"]
    assert all(c["host"] == "h14.example.org" for c in doc["connectors"])
    assert os.listdir(str(tmp_path)) == ["smtp.json"]


def test_backup(tmp_path):
    path = tmp_path / "smtp.env"
    path.write_text("OTHER=1\n")
    res = _apply.run(params(format="env", path=str(path), backup=True), FakeHost())
    with open(res["backup_file"]) as handle:
        assert handle.read() == "OTHER=1\n"


def test_explicit_mode_and_attribute_change(tmp_path):
    path = str(tmp_path / "smtp.json")
    _apply.run(params(path=path, config=[PORTAL], mode="0640"), FakeHost())
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    res = _apply.run(params(path=path, config=[PORTAL], mode="0644"), FakeHost())
    assert res["changed"] is True and res["files"][0]["action"] == "attributes"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644


def test_postfix_files_postmap_check_and_reload(tmp_path):
    (tmp_path / "main.cf").write_text("myhostname = mx.example.org\n")
    host = FakeHost({"postmap": "/fake/postmap", "postfix": "/fake/postfix"})
    res = _apply.run(params(format="postfix", path=str(tmp_path)), host)
    assert res["changed"] is True and res["reload_needed"] is True and res["postfix_check"] == "passed"
    assert ["/fake/postmap", "-c", str(tmp_path), "hash:%s/sasl_passwd" % tmp_path] in host.calls
    assert ["/fake/postfix", "-c", str(tmp_path), "check"] in host.calls
    assert stat.S_IMODE(os.stat(str(tmp_path / "sasl_passwd")).st_mode) == 0o600
    assert "myhostname = mx.example.org" in (tmp_path / "main.cf").read_text()
    # postmap made no .db here (fake), so the second run compiles again but changes no file
    (tmp_path / "sasl_passwd.db").write_text("")
    again = _apply.run(params(format="postfix", path=str(tmp_path)), host)
    assert again["changed"] is False and again["reload_needed"] is False
    gone = _apply.run(params(format="postfix", path=str(tmp_path), state="deleted", config=[]), host)
    assert gone["changed"] is True and gone["reload_needed"] is True
    assert sorted(os.listdir(str(tmp_path))) == ["main.cf"]
    assert (tmp_path / "main.cf").read_text() == "myhostname = mx.example.org\n"


def test_postfix_check_failure_rolls_back(tmp_path):
    original = "myhostname = mx.example.org\n"
    (tmp_path / "main.cf").write_text(original)
    host = FakeHost({"postfix": "/fake/postfix"}, fail=("check",))
    with pytest.raises(_apply.ApplyError) as err:
        _apply.run(params(format="postfix", path=str(tmp_path), postmap=False), host)
    assert "check failed" in str(err.value) and "rolled back" in str(err.value)
    assert (tmp_path / "main.cf").read_text() == original
    assert sorted(os.listdir(str(tmp_path))) == ["main.cf"]


def test_postfix_needs_a_directory(tmp_path):
    with pytest.raises(_apply.ApplyError, match="nope: directory does not exist"):
        _apply.run(params(format="postfix", path=str(tmp_path / "nope")), FakeHost())
    (tmp_path / "file").write_text("")
    with pytest.raises(_apply.ApplyError, match="file: not a directory; path is the Postfix configuration"):
        _apply.run(params(format="postfix", path=str(tmp_path / "file")), FakeHost())


def test_template_sidecar_gathered_and_drift(tmp_path):
    path = tmp_path / "mailer.conf"
    content = "server=smtp.example.org\npassword=%s\n" % PASSWORD
    p = params(format="template", path=str(path), content=content,
               diff_content="server=smtp.example.org\npassword=********\n")
    res = _apply.run(p, FakeHost(), diff_mode=True)
    assert res["changed"] is True and PASSWORD not in all_text(res)
    side = tmp_path / "mailer.conf.mailops.json"
    assert stat.S_IMODE(os.stat(str(side)).st_mode) == 0o600
    assert PASSWORD not in side.read_text()
    assert _apply.run(p, FakeHost())["changed"] is False
    got = _apply.run(params(format="template", path=str(path), state="gathered", config=[]), FakeHost())
    assert got["content_drift"] is False and "password" not in got["gathered"][0]["auth"]
    got = _apply.run(params(format="template", path=str(path), state="gathered", config=[RELAY]), FakeHost())
    assert got["gathered"][0]["auth"]["password"] == "unchanged"
    other = dict(RELAY, auth=dict(RELAY["auth"], password="different"))
    got = _apply.run(params(format="template", path=str(path), state="gathered", config=[other]), FakeHost())
    assert got["gathered"][0]["auth"]["password"] == "changed"
    path.write_text("edited by hand\n")
    got = _apply.run(params(format="template", path=str(path), state="gathered"), FakeHost())
    assert got["content_drift"] is True


def test_rendered_and_parsed_offline():
    res = _apply.run(params(format="postfix", state="rendered"), None)
    assert sorted(res["rendered"]) == ["mailops-smtp.json", "main.cf", "sasl_passwd"]
    assert PASSWORD not in all_text(res) and "mailer@example.org:********" in res["rendered"]["sasl_passwd"]
    text = _apply.run(params(format="env", state="rendered"), None)["rendered"]
    assert "********" in text and "Sup3r" not in text
    running = "MAILOPS_SMTP_CONNECTORS=relay\nMAILOPS_SMTP_RELAY__HOST=a.example.org\n" \
              "MAILOPS_SMTP_RELAY__AUTH_USERNAME=u\nMAILOPS_SMTP_RELAY__AUTH_PASSWORD=x\n" \
              "MAILOPS_SMTP_RELAY__SENDERS_DEFAULT=a@example.org\n"
    parsed = _apply.run(params(format="env", state="parsed", running_config=running), None)["parsed"]
    assert parsed[0]["host"] == "a.example.org" and parsed[0]["auth"]["password"] == "changed"
    parsed = _apply.run(params(format="env", state="parsed", running_config=running, config=[]), None)["parsed"]
    assert "password" not in parsed[0]["auth"]
    files = _apply.run(params(format="postfix", state="rendered", config=[RELAY, dict(PORTAL, port=2525)]),
                       None)["rendered"]
    assert postfix.read_main(files["main.cf"])["relayhost"] == "[smtp.example.org]:587"
    with pytest.raises(_apply.ApplyError, match="running_config: state parsed needs"):
        _apply.run(params(format="env", state="parsed"), None)


def test_format_errors_never_echo_secrets(tmp_path):
    bad = dict(RELAY, auth={"username": "u:x", "password": PASSWORD})
    with pytest.raises(_apply.ApplyError) as err:
        _apply.run(params(format="postfix", path=str(tmp_path), config=[bad]), FakeHost())
    assert "/0/auth/username" in str(err.value) and PASSWORD not in str(err.value)


def test_mask_covers_every_encoding():
    for text in ('password "Sup3r \\"secret\\" $pw"', 'X="Sup3r \\"secret\\" \\$pw"',
                 'x=Sup3r "secret" $pw', '"Sup3r \\"secret\\" $pw"'):
        assert "Sup3r" not in _apply.mask(text, [PASSWORD]), text


def test_one_connector_file_explains_overridden(tmp_path):
    path = str(tmp_path / "mail.properties")
    _apply.run(params(format="javamail", path=path), FakeHost())
    with pytest.raises(_apply.ApplyError, match="holds connector 'relay'.*use state overridden"):
        _apply.run(params(format="javamail", path=path, config=[PORTAL]), FakeHost())
    res = _apply.run(params(format="javamail", path=path, config=[PORTAL], state="overridden"), FakeHost())
    assert res["connectors"] == ["portal"]


def test_internal_errors_are_reported_without_traceback_or_secret(tmp_path):
    class Module:
        # a lock_timeout of the wrong type cannot come through the argument spec: it stands for a bug
        params = params(format="json", path=str(tmp_path / "x.json"), lock_timeout="bad")
        check_mode = False
        _diff = False

        def fail_json(self, msg):
            raise SystemExit(msg)

        def warn(self, msg):
            pass

    with pytest.raises(SystemExit) as err:
        _apply.run_module(Module())
    assert str(err.value).startswith("internal error in mailops.smtp.connector (TypeError)")
    assert "Sup3r" not in str(err.value)


@pytest.mark.parametrize("fmt,name", [("json", "a.json"), ("yaml", "a.yml"), ("env", "a.env"), ("ini", "a.ini"),
                                      ("msmtp", "msmtprc"), ("javamail", "a.properties"), ("postfix", None)])
def test_gathered_after_replaced_is_the_declaration(tmp_path, fmt, name):
    from ansible_collections.mailops.smtp.plugins.module_utils._formats import _common

    full = dict(RELAY, description="Portal mail", tls={"ca_file": "/etc/ssl/ca.pem", "min_version": "1.3"},
                senders={"default": '"Portal" <portal@example.org>', "grades": "grades@example.org"},
                delivery={"throttle_per_second": 5}, attachments={"max_size_mb": 2.5}, test={"to": ["t@example.org"]},
                accept_weaker=["ca_file"])  # JavaMail takes no CA file; every format keeps the acknowledgement
    second = dict(PORTAL, port=2525, tls={"ca_file": "/etc/ssl/ca.pem"})
    config = [full] if fmt == "javamail" else [full, second]
    path = str(tmp_path / name) if name else str(tmp_path)
    _apply.run(params(format=fmt, path=path, config=config, postfix_check=False, postmap=False), FakeHost())
    got = _apply.run(params(format=fmt, path=path, config=config, state="gathered"), FakeHost())["gathered"]
    want = [_common.canonical(c) for c in config]
    want[0]["auth"]["password"] = "unchanged"
    assert got == want


def test_a_failed_check_also_restores_the_compiled_tables(tmp_path):
    # postfix check fails after the new tables were compiled: the restored tables are compiled
    # again, so Postfix does not keep reading the new credentials with the old main.cf.
    postmap = shutil.which("postmap", path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
    assert postmap, "postmap not found: install postfix (tests/system-packages.txt)"
    (tmp_path / "main.cf").write_text("myhostname = mx.example.org\n")
    ok = FakeHost({"postmap": postmap})
    _apply.run(params(format="postfix", path=str(tmp_path), postfix_check=False), ok)
    other = dict(RELAY, auth={"username": "mailer@example.org", "password": "Other-S3cret"})
    failing = FakeHost({"postmap": postmap, "postfix": "/fake/postfix"}, fail=("check",))
    with pytest.raises(_apply.ApplyError, match="rolled back"):
        _apply.run(params(format="postfix", path=str(tmp_path), config=[other]), failing)
    query = subprocess.run([postmap, "-c", str(tmp_path), "-q", "[smtp.example.org]:587",
                            "hash:%s/sasl_passwd" % tmp_path], capture_output=True, text=True, check=False)
    assert query.stdout.strip() == "mailer@example.org:" + PASSWORD
