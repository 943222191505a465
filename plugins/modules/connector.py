#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Apply SMTP connectors to a host in the file formats real software reads, and read them back."""

from __future__ import annotations

DOCUMENTATION = r'''
---
module: connector
short_description: Write SMTP connectors into Postfix, JavaMail, msmtp, env, JSON, YAML, INI or templated files
version_added: 0.1.0
description:
  - Applies a list of SMTP connectors (the collection's connector model) to a host, in the file format
    the software on that host reads, and reads such files back into the model.
  - The states follow Ansible's resource modules. V(replaced) makes each named connector exactly what is
    declared and leaves the others in the file; V(overridden) also removes connectors that are not
    declared; V(deleted) removes the named connectors (all of them when O(config) is empty);
    V(gathered) reads the host's files; V(rendered) and V(parsed) work offline on the controller.
  - The action plugin validates O(config) on the controller first (schema and semantic rules). With
    O(state=replaced), O(state=overridden) and O(state=rendered) an error fails the task before anything
    reaches the host; with the other states errors are reported as warnings, so a bad declaration can
    still be compared with a host or removed. It also renders O(template) on the controller.
  - The module makes the same check itself before it touches a file, so a task that reaches it without the
    action plugin is refused in the same way (in states V(gathered), V(deleted) and V(parsed) only a wrong
    type or an out-of-range value is refused). It skips that check when the action plugin vouches, with
    O(controller_check), for exactly the arguments the module receives; the host then loads only the code of
    O(format).
  - Writes are atomic (a temporary file in the same directory, renamed over the target), locked (two
    runs on the same directory cannot interleave) and leave no partial file behind. The temporary file
    of a run that was killed is removed by the next run.
  - A symlinked O(path) is followed; the file it points to is replaced and the link is kept.
  - Secrets (O(config[].auth.password)) never appear in the diff, in return values or in messages;
    where they matter, they are reported as V(changed) or V(unchanged) against the declared value.
  - The file formats, and which model field each one writes where, are documented in the collection's
    C(docs/formats.md).
author:
  - mailops.smtp maintainers (@mailops)
extends_documentation_fragment:
  - mailops.smtp.connector.config
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
attributes:
  check_mode:
    support: full
    details: Reports the change and the diff, and writes nothing.
  diff_mode:
    support: full
    details: The diff is a unified before/after per file, with every secret masked.
  platform:
    support: full
    platforms: posix
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
  idempotent:
    description: When run twice with the same arguments, the second run reports no change.
    support: full
options:
  format:
    description:
      - The file format to write or read.
      - V(postfix) manages the relay parameters of C(main.cf) and the lookup tables they point at, in the
        Postfix configuration directory O(path).
      - V(javamail) writes a Java C(.properties) file with JavaMail's C(mail.smtp.*) keys (one connector per file).
      - V(msmtp) writes an msmtprc with one C(account) per connector and C(account default).
      - V(env), V(json), V(yaml), V(ini) write the full model with a documented key naming.
      - V(django) writes Django's C(EMAIL_*) settings, as a settings module when O(path) ends in C(.py), else as an
        environment file (one connector per file).
      - V(gitea) writes the C([mailer]) section of Gitea's or Forgejo's C(app.ini) when O(path) ends in C(.ini), else
        the C(GITEA__mailer__*) environment form (one connector per file).
      - V(gitlab) writes the C(gitlab_rails['smtp_*']) settings of Omnibus GitLab's C(gitlab.rb) (one connector).
      - V(nextcloud) writes the C(mail_*) entries of Nextcloud's C(config/config.php) (one connector).
      - V(redmine) writes the C(email_delivery) block of Redmine's C(config/configuration.yml) (one connector).
      - V(mastodon) writes the C(SMTP_*) variables of Mastodon's C(.env.production) (one connector).
      - V(grafana) writes the C([smtp]) section of C(grafana.ini) when O(path) ends in C(.ini), else the
        C(GF_SMTP_*) environment form (one connector per file).
      - V(template) writes any file from a Jinja2 O(template), and a sidecar record C(<path>.mailops.json)
        that V(gathered) reads. V(deleted) removes the file and its record once no connector remains.
      - V(exim4) configures Debian's exim4 as a smarthost client in the directory O(path) (default C(/etc/exim4))
        with C(update-exim4.conf.conf), C(passwd.client) and the smarthost macros; then run C(update-exim4.conf)
        and reload exim4 (RV(reload_needed)).
      - V(nullmailer) writes nullmailer's C(remotes) file (default C(/etc/nullmailer/remotes)).
      - V(dma) writes C(dma.conf) and C(auth.conf) of the DragonFly Mail Agent in the directory O(path)
        (default C(/etc/dma)). dma does not verify certificates.
      - V(opensmtpd) writes the relay action of OpenSMTPD's C(smtpd.conf) (O(path), default C(/etc/smtpd.conf)) and
        its credentials table C(smtpd.secrets) beside it; then restart OpenSMTPD (RV(reload_needed)).
      - V(exim4), V(nullmailer), V(dma) and V(opensmtpd) hold one connector.
    type: str
    required: true
    choices: [django, dma, env, exim4, gitea, gitlab, grafana, ini, javamail, json, mastodon, msmtp, nextcloud, nullmailer,
              opensmtpd, postfix, redmine, template, yaml]
  path:
    description:
      - The file to manage; for O(format=postfix) the Postfix configuration directory (default C(/etc/postfix)),
        for O(format=exim4) and O(format=dma) their configuration directory.
      - Required for every other format with states V(replaced), V(overridden), V(deleted) and V(gathered).
      - The directory must exist.
    type: path
  state:
    description:
      - What to do; see the description above.
    type: str
    default: replaced
    choices: [replaced, overridden, deleted, gathered, rendered, parsed]
  template:
    description:
      - For O(format=template), a Jinja2 template on the controller (looked up like M(ansible.builtin.template)
        sources), rendered with the variables C(connectors) (the normalized O(config) list) and C(connector)
        (its first item), plus the task's variables.
      - The action plugin renders it twice, with the real secrets for the file and with secrets masked for the diff.
    type: str
  content:
    description:
      - For O(format=template), the rendered text to write. The action plugin fills it from O(template);
        set it yourself only to write a literal text.
    type: str
  diff_content:
    description:
      - For O(format=template), the text shown in the diff and in V(rendered) instead of O(content), with every
        secret masked. The action plugin fills it from O(template).
    type: str
  keymap:
    description:
      - For O(format=env), O(format=ini) and O(format=javamail), model fields (dotted paths such as C(host),
        C(auth.username), C(tls.verify), C(senders.default)) mapped to the key names an application
        expects. Only the mapped fields are written and read back, and the file holds one connector.
      - Keys that are not in the map (the application's other settings) are kept as they are.
    type: dict
  running_config:
    description:
      - For O(state=parsed), the text to turn into connectors. For O(format=postfix), the text of C(main.cf),
        or a dict of file name (C(main.cf), C(sasl_passwd), C(tls_policy), C(mailops-smtp.json)) to text.
    type: raw
  default_connector:
    description:
      - For O(format=postfix) and O(format=msmtp), the name of the connector used when no sender-specific one
        applies (Postfix C(relayhost), msmtp C(account default)). Default is the first connector.
    type: str
  backup:
    description:
      - Keep a copy of each file that is changed or removed, named C(<file>.<pid>.<timestamp>~).
    type: bool
    default: false
  mode:
    description:
      - Octal mode of the written files, such as C('0640').
      - Default is to keep the mode of an existing file and C(0644) for a new one, except that a file holding a
        secret (an authentication password, the Postfix C(sasl_passwd) table, a template's output and record)
        defaults to C(0600); the result then says so in RV(mode_notes).
    type: raw
  owner:
    description:
      - Owner (name or uid) of the written files. Default is to keep the owner of an existing file.
    type: str
  group:
    description:
      - Group (name or gid) of the written files. Default is to keep the group of an existing file.
    type: str
  validate:
    description:
      - A command run on the new file before it replaces the old one, with C(%s) standing for the new file,
        as in M(ansible.builtin.template). A non-zero exit leaves the old file in place.
      - For O(format=postfix) it runs on the new C(main.cf).
    type: str
  postfix_map_type:
    description:
      - Lookup table type for the Postfix tables. V(texthash) needs no C(postmap).
    type: str
    default: hash
    choices: [hash, btree, lmdb, cdb, texthash]
  postmap:
    description:
      - For O(format=postfix), compile the tables with C(postmap) when Postfix is installed.
    type: bool
    default: true
  postfix_check:
    description:
      - For O(format=postfix), run C(postfix -c <path> check) after writing, when Postfix is installed, and
        restore the previous files when it fails.
    type: bool
    default: true
  lock_timeout:
    description:
      - Seconds to wait for another run that holds the lock on the same directory.
    type: int
    default: 30
  controller_check:
    description:
      - Set by the action plugin; a value given in a task is replaced.
      - A digest of the module arguments the action plugin validated on the controller (schema, rules, the
        format's capabilities and options) and found no error in. When it matches the arguments the module
        receives, the module does not validate them again.
    type: str
notes:
  - Target hosts need only Python and ansible-core's module utilities; validation and template rendering
    happen on the controller.
  - RV(reload) says what the program needs after a change (for O(format=exim4), C(update-exim4.conf) and a reload of
    exim4); the role C(mailops.smtp.connector) runs it in a handler.
  - For O(state=replaced) and O(state=overridden), the action plugin first reads the format's files with one short
    command on the host (its Python and a small standard-library program) and, when nothing would change, returns
    this module's result without starting it. In check mode the read's decision is the result.
  - When the read finds none of the files and the run would only create them, without O(validate) and without
    C(become), one more short command creates them as this module would (the same directory lock, a look again
    under it, a temporary file renamed into place, the planned mode and owner; the contents go on its standard
    input, never on its command line). Anything that differs from the read makes it write nothing, and this module
    runs.
  - Any other change, and anything the read cannot settle, runs the module. Formats whose run needs the host beyond
    its files (postfix, exim4, dma, nullmailer) always run the module.
seealso:
  - name: File formats
    description: Which model field each format writes where, and which fields each format can represent.
    link: https://github.com/mailops/smtp/blob/main/docs/formats.md
'''

EXAMPLES = r'''
- name: Relay all mail of this host through the district relay (Postfix)
  mailops.smtp.connector:
    format: postfix
    path: /etc/postfix
    config: "{{ smtp_connectors }}"
  notify: Reload postfix

- name: Several relays in Postfix, chosen by sender address; the portal relay is the default
  mailops.smtp.connector:
    format: postfix
    state: overridden
    default_connector: portal
    config:
      - name: portal
        host: smtp.example.org
        port: 587
        auth:
          username: portal@example.org
          password: "{{ vault_portal_password }}"
        senders:
          default: '"Example Portal" <portal@example.org>'
      - name: gradebook
        host: smtp2.example.org
        port: 587
        auth:
          username: gradebook@example.org
          password: "{{ vault_gradebook_password }}"
        senders:
          default: gradebook@example.org

- name: Configure a Java application's JavaMail session
  mailops.smtp.connector:
    format: javamail
    path: /opt/app/conf/mail.properties
    owner: app
    config: "{{ smtp_connectors[:1] }}"

- name: Spring Boot style keys through a keymap
  mailops.smtp.connector:
    format: javamail
    path: /opt/app/config/application.properties
    keymap:
      host: spring.mail.host
      port: spring.mail.port
      auth.username: spring.mail.username
      auth.password: spring.mail.password
    config: "{{ smtp_connectors[:1] }}"

- name: An msmtprc for sendmail-compatible tools
  mailops.smtp.connector:
    format: msmtp
    path: /etc/msmtprc
    config: "{{ smtp_connectors }}"

- name: An environment file read by a systemd unit or a container
  mailops.smtp.connector:
    format: env
    path: /etc/app/smtp.env
    config: "{{ smtp_connectors }}"

- name: A product's own environment keys
  mailops.smtp.connector:
    format: env
    path: /etc/app/app.env
    keymap:
      host: SMTP_HOST
      port: SMTP_PORT
      auth.username: SMTP_USER
      auth.password: SMTP_PASSWORD
      senders.default: MAIL_FROM
    config: "{{ smtp_connectors[:1] }}"

- name: The full model as JSON, YAML or INI
  mailops.smtp.connector:
    format: "{{ item.format }}"
    path: "{{ item.path }}"
    config: "{{ smtp_connectors }}"
  loop:
    - {format: json, path: /etc/app/smtp.json}
    - {format: yaml, path: /etc/app/smtp.yml}
    - {format: ini, path: /etc/app/smtp.ini}

- name: Any other product's settings file, from a template
  mailops.smtp.connector:
    format: template
    template: gitea-mailer.ini.j2
    path: /etc/gitea/mailer.ini
    owner: git
    config: "{{ smtp_connectors[:1] }}"

- name: Remove one connector from the msmtprc, keep the others
  mailops.smtp.connector:
    format: msmtp
    path: /etc/msmtprc
    state: deleted
    config: "{{ smtp_connectors | selectattr('name', 'equalto', 'old-relay') | list }}"

- name: What does this host's Postfix relay through?
  mailops.smtp.connector:
    format: postfix
    path: /etc/postfix
    state: gathered
    config: "{{ smtp_connectors }}"
  register: postfix_now

- name: Show the files that would be written, without a host
  mailops.smtp.connector:
    format: msmtp
    state: rendered
    config: "{{ smtp_connectors }}"
  delegate_to: localhost
  register: preview

- name: Turn an existing file into connectors, without a host
  mailops.smtp.connector:
    format: env
    state: parsed
    running_config: "{{ lookup('ansible.builtin.file', 'legacy/smtp.env') }}"
  delegate_to: localhost
  register: legacy
'''

RETURN = r'''
path:
  description:
    - The managed file, or the Postfix configuration directory.
    - As with Ansible's file modules, C(mode), C(owner), C(group), C(uid), C(gid), C(size) and C(state) of this
      path are returned alongside.
  returned: when the host is accessed
  type: str
  sample: /etc/postfix
connectors:
  description: Names of the connectors the file(s) hold after the run.
  returned: with states replaced, overridden and deleted
  type: list
  elements: str
  sample: [district-relay]
files:
  description: Each file considered, and what happened to it (create, update, attributes, remove, unchanged).
  returned: with states replaced, overridden and deleted
  type: list
  elements: dict
  sample: [{path: /etc/msmtprc, action: update}]
gathered:
  description:
    - The connectors the host's files hold, in the model. A secret field is V(changed) or V(unchanged) when
      O(config) declares a connector of that name, and is left out otherwise.
  returned: when O(state=gathered)
  type: list
  elements: dict
  sample: [{name: district-relay, host: smtp.example.org, port: 587, auth: {username: u@example.org, password: unchanged}}]
rendered:
  description:
    - What would be written, with every secret masked; a dict of file name to text for O(format=postfix).
  returned: when O(state=rendered)
  type: raw
  sample: "account district-relay\nhost smtp.example.org\n"
parsed:
  description: The connectors O(running_config) holds, secrets as in RV(gathered).
  returned: when O(state=parsed)
  type: list
  elements: dict
  sample: [{name: district-relay, host: smtp.example.org}]
reload_needed:
  description:
    - For O(format=postfix), whether a Postfix file changed so that Postfix should be reloaded.
    - For O(format=exim4), whether a file changed so that C(update-exim4.conf) must run and exim4 be reloaded.
    - For O(format=opensmtpd), whether a file changed so that OpenSMTPD must be restarted.
    - V(false) for O(format=nullmailer) and O(format=dma), which read their files for each message.
  returned: with O(format=postfix), O(format=exim4), O(format=nullmailer), O(format=dma) and O(format=opensmtpd) and states replaced,
    overridden and deleted
  type: bool
  sample: true
reload:
  description:
    - What the program that reads the files needs before it uses a change, as the format declares it
      (see the reload table in C(docs/formats.md)). The role C(mailops.smtp.connector) acts on it in its handlers.
  returned: with states replaced, overridden and deleted
  type: dict
  contains:
    needed:
      description:
        - Whether a file the program reads changed and the program needs the commands or the service action
          below. V(false) for formats whose program reads its files each time (O(format=nullmailer), O(format=dma),
          O(format=msmtp), O(format=nextcloud)). In check mode, what a real run would need.
      type: bool
      sample: true
    commands:
      description: Argument lists (no shell) to run in order on the host, before the service action.
      type: list
      elements: list
      sample: [[update-exim4.conf]]
    services:
      description: The services the program usually runs as; empty when only the deployment knows the name.
      type: list
      elements: str
      sample: [exim4]
    action:
      description: V(reloaded) or V(restarted) for the services, or V(null) when no service action is needed.
      type: str
      sample: reloaded
    why:
      description: One line saying how the program reads its files.
      type: str
      sample: exim4 reads the configuration update-exim4.conf builds from these files
  sample:
    needed: true
    commands: [[update-exim4.conf]]
    services: [exim4]
    action: reloaded
    why: exim4 reads the configuration update-exim4.conf builds from these files
postmap:
  description: The Postfix tables compiled with C(postmap).
  returned: when tables were compiled
  type: list
  elements: str
  sample: [/etc/postfix/sasl_passwd]
postfix_check:
  description: V(passed) when C(postfix check) ran after writing and passed.
  returned: when C(postfix check) ran
  type: str
  sample: passed
mode_notes:
  description: Why a file got a mode the user did not ask for (files holding a secret default to 0600).
  returned: when a file holding a secret got mode 0600 by default, or was given a mode others can read
  type: list
  elements: str
  sample: ["/etc/msmtprc: mode 0600 because the file holds a secret"]
backup_file:
  description: The backup of the first file changed (all of them are in RV(backup_files)).
  returned: when O(backup=true) and a file changed
  type: str
  sample: /etc/msmtprc.2412.2026-01-10@10:00:00~
backup_files:
  description: Backups made, one per changed or removed file.
  returned: when O(backup=true) and a file changed
  type: list
  elements: str
  sample: [/etc/msmtprc.2412.2026-01-10@10:00:00~]
content_drift:
  description: For O(format=template), whether the file differs from what was last applied.
  returned: when O(format=template) and O(state=gathered) and a sidecar record exists
  type: bool
  sample: false
'''

from ansible_collections.mailops.smtp.plugins.module_utils import _apply

# States that write (or render) settings refuse an invalid config; the others only read or remove
# connectors by name, so a bad declaration can still be compared with a host or cleaned up (they
# refuse only what Ansible's argument spec cannot take).
WRITING_STATES = ("replaced", "overridden", "rendered")


def main():
    module, checked = _apply.connector_module(blocking=lambda given: given.get("state", "replaced") in WRITING_STATES)
    module.exit_json(**_apply.run_module(module, checked))


if __name__ == "__main__":
    main()
