#!/usr/bin/env python
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Check the AWX credential type and do what AWX does with it: awx_injector.py DEFINITION INPUTS_JSON OUT.

The definition must be well formed (unique input ids, required and injected inputs defined, the
password secret); its extra_vars injector is rendered with Jinja2 from the inputs, defaults
filled in, and written to OUT as JSON for `ansible-playbook -e @OUT`, as AWX passes it to a job.
"""

import json
import sys

import jinja2
import jinja2.meta
import jinja2.sandbox
import yaml

definition = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
inputs = json.loads(sys.argv[2])
fields = definition["inputs"]["fields"]
ids = [field["id"] for field in fields]
assert len(ids) == len(set(ids)), "duplicate input ids: %s" % ids
assert set(definition["inputs"]["required"]) <= set(ids), "required inputs that are not defined"
assert [f["id"] for f in fields if f.get("secret")] == ["password"], "only the password is secret"
assert all(f["type"] == "string" and f.get("label") for f in fields), "every input is a labelled string"
assert definition["kind"] == "cloud" and definition["name"]

env = jinja2.sandbox.SandboxedEnvironment(undefined=jinja2.StrictUndefined)
values = dict((f["id"], f["default"]) for f in fields if "default" in f)
values.update(inputs)
missing = [name for name in definition["inputs"]["required"] if name not in values]
assert not missing, "required inputs missing: %s" % missing
extra_vars = {}
for name, template in definition["injectors"]["extra_vars"].items():
    used = jinja2.meta.find_undeclared_variables(env.parse(template))
    assert used <= set(ids), "%s uses undefined inputs %s" % (name, sorted(used - set(ids)))
    extra_vars[name] = env.from_string(template).render(values)
with open(sys.argv[3], "w", encoding="utf-8") as handle:
    json.dump(extra_vars, handle)
print("injected: %s" % ", ".join(sorted(extra_vars)))
