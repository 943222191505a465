#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""read_back.py WORK_DIR VARS_JSON: let the real Ruby and PHP read the written files and compare.

Redmine's configuration.yml is read as Redmine reads it: ERB, then YAML.

Ruby loads gitlab.rb as Omnibus does (gitlab_rails is a Hash; every other top-level call such
as external_url is ignored); PHP includes config.php. Both print JSON, which is compared
with what was declared. Prints only key names and verdicts, never a value.
"""

from __future__ import annotations

import json
import subprocess
import sys

RUBY = r"""
require 'json'
$settings = {}
def gitlab_rails; $settings; end
def method_missing(*_args); nil; end
load ARGV[0]
print JSON.generate($settings)
"""

PHP = r"""include $argv[1]; echo json_encode($CONFIG);"""

# As Redmine::Configuration.load_from_yaml: ERB first, then YAML (symbols allowed).
REDMINE = r"""
require 'erb'
require 'yaml'
require 'json'
yaml = YAML.load(ERB.new(File.read(ARGV[0])).result, permitted_classes: [Symbol])
print JSON.generate(yaml)
"""

# As Mastodon loads .env.production: the dotenv gem's parser (with its $VAR and $(command) expansion).
DOTENV = r"""
require 'dotenv'
require 'json'
print JSON.generate(Dotenv::Parser.call(File.read(ARGV[0])))
"""


def run(argv):
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit("FAILED: %s could not read the file (rc=%d)" % (argv[0], proc.returncode))
    return json.loads(proc.stdout)


def expect(label, actual, wanted):
    problems = []
    for key, value in wanted.items():
        if actual.get(key) != value:
            problems.append(key)
    if problems:
        sys.exit("FAILED: %s read other values for %s" % (label, ", ".join(problems)))


def main():
    work, var_file = sys.argv[1], sys.argv[2]
    with open(var_file) as handle:
        secrets = json.load(handle)["secrets"]
    gitlab = run(["ruby", "-e", RUBY, work + "/gitlab.rb"])
    expect("ruby (gitlab.rb)", gitlab, {
        "smtp_enable": True, "smtp_address": "smtp.example.org", "smtp_port": 465, "smtp_tls": True,
        "smtp_enable_starttls_auto": False, "smtp_openssl_verify_mode": "peer", "smtp_authentication": "login",
        "smtp_user_name": "gitlab@example.org", "smtp_password": secrets["gitlab"],
        "smtp_ca_file": "/etc/gitlab/trusted-certs/relay-ca.pem", "gitlab_email_from": "gitlab@example.org",
        "gitlab_email_display_name": "Example GitLab",
        # unmanaged settings of the shipped file, kept
        "smtp_domain": "example.org", "backup_path": "/var/opt/gitlab/backups",
    })
    extra = sorted(set(gitlab) - {"smtp_enable", "smtp_address", "smtp_port", "smtp_tls", "smtp_enable_starttls_auto",
                                  "smtp_openssl_verify_mode", "smtp_authentication", "smtp_user_name", "smtp_password",
                                  "smtp_ca_file", "gitlab_email_from", "gitlab_email_display_name", "smtp_domain",
                                  "backup_path"})
    if extra:
        sys.exit("FAILED: gitlab.rb sets keys nobody declared: %s" % ", ".join(extra))
    config = run(["php", "-r", PHP, work + "/config.php"])
    expect("php (config.php)", config, {
        "mail_smtpmode": "smtp", "mail_smtphost": "smtp.example.org", "mail_smtpport": 587, "mail_smtpsecure": "",
        "mail_smtpauth": True, "mail_smtpname": "cloud@example.org", "mail_smtppassword": secrets["nextcloud"],
        "mail_smtptimeout": 15, "mail_from_address": "cloud", "mail_domain": "example.org",
        "mail_smtpstreamoptions": {"ssl": {"verify_peer": False, "verify_peer_name": False, "allow_self_signed": True}},
        # unmanaged entries Nextcloud wrote, kept
        "dbpassword": "db'pass", "installed": True, "mail_smtpauthtype": "LOGIN", "loglevel": 2,
        "memcache.local": "\\OC\\Memcache\\APCu",
    })
    if len(config) != 31:
        sys.exit("FAILED: config.php has %d entries, expected 31 (no entry added or lost)" % len(config))
    redmine = run(["ruby", "-e", REDMINE, work + "/configuration.yml"])
    delivery = (redmine.get("default") or {}).get("email_delivery") or {}
    expect("ruby ERB+YAML (configuration.yml)", delivery, {"delivery_method": "smtp"})
    expect("ruby ERB+YAML (configuration.yml)", delivery.get("smtp_settings") or {}, {
        "address": "smtp.example.org", "port": 587, "enable_starttls": True, "tls": False,
        "openssl_verify_mode": "peer", "authentication": "login", "user_name": "redmine@example.org",
        "password": secrets["redmine"], "open_timeout": 25, "read_timeout": 25,
    })
    if sorted(delivery.get("smtp_settings") or {}) != sorted([
            "address", "port", "enable_starttls", "tls", "openssl_verify_mode", "authentication", "user_name",
            "password", "open_timeout", "read_timeout"]) or sorted(delivery) != ["delivery_method", "smtp_settings"]:
        sys.exit("FAILED: configuration.yml's email_delivery holds keys nobody declared")
    if sorted(redmine) != ["default", "development", "production"] or \
            redmine["default"].get("attachments_storage_path") != "/var/lib/redmine/files":
        sys.exit("FAILED: configuration.yml lost or gained settings outside email_delivery")
    for name, password in (("/.env.production", secrets["mastodon"]), ("/quote.env", secrets["mastodon_quote"])):
        env = run(["ruby", "-e", DOTENV, work + name])
        expect("ruby dotenv (%s)" % name, env, {
            "SMTP_DELIVERY_METHOD": "smtp", "SMTP_SERVER": "smtp.example.org", "SMTP_PORT": "465",
            "SMTP_PASSWORD": password, "SMTP_AUTH_METHOD": "plain", "SMTP_ENABLE_STARTTLS": "never",
            "SMTP_TLS": "true", "SMTP_OPENSSL_VERIFY_MODE": "peer", "SMTP_CA_FILE": "/etc/ssl/relay-ca.pem",
            "SMTP_FROM_ADDRESS": "Mastodon <notifications@social.example.org>",
        })
    env = run(["ruby", "-e", DOTENV, work + "/.env.production"])
    if env.get("LOCAL_DOMAIN") != "social.example.org" or env.get("DB_NAME") != "mastodon_production" or len(env) != 24:
        sys.exit("FAILED: .env.production lost or gained variables (%d)" % len(env))
    print("ruby read gitlab.rb, configuration.yml (ERB + YAML) and .env.production (dotenv), php read config.php: "
          "every value as written, nothing injected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
