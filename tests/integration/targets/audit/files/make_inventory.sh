#!/usr/bin/env bash
# Write a test inventory below $1: two hosts reached locally, one connector file each.
set -eu
WORK="$1"
mkdir -p "${WORK}/inventory/host_vars" "${WORK}/inventory/group_vars" "${WORK}/app1" "${WORK}/app2"
cat > "${WORK}/inventory/hosts.yml" <<YAML
all:
  hosts:
    app1:
    app2:
    app3:
    app4:
    app5:
YAML
cat > "${WORK}/inventory/group_vars/all.yml" <<YAML
ansible_connection: local
ansible_python_interpreter: "{{ ansible_playbook_python }}"
audit_test_root: ${WORK}
vault_relay_password: audit-relay-secret-7f3a
vault_portal_password: audit-portal-secret-91bc
YAML
cat > "${WORK}/inventory/host_vars/app1.yml" <<'YAML'
smtp_connector_format: json
smtp_connector_path: "{{ audit_test_root }}/app1/smtp.json"
smtp_connectors:
  - name: district-relay
    description: <script>alert("audit")</script> report cards
    host: smtp.example.org
    port: 587
    auth:
      username: mailer@example.org
      password: "{{ vault_relay_password }}"
    senders:
      default: '"Example District" <noreply@example.org>'
      portal: portal@example.org
    delivery:
      throttle_per_second: 50
  - name: fax
    host: fax-gw.example.org
    port: 25
    starttls: opportunistic
    senders:
      default: fax@example.org
YAML
cat > "${WORK}/inventory/host_vars/app2.yml" <<'YAML'
smtp_connector_format: env
smtp_connector_path: "{{ audit_test_root }}/app2/smtp.env"
smtp_connectors:
  - name: portal
    host: smtp.example.org
    port: 587
    auth:
      username: portal@example.org
      password: "{{ vault_portal_password }}"
    senders:
      default: portal@example.org
    attachments:
      max_size_mb: 10
YAML
# app3 declares a connector whose file was never written (a host the role has not reached yet).
cat > "${WORK}/inventory/host_vars/app3.yml" <<'YAML'
smtp_connector_format: json
smtp_connector_path: "{{ audit_test_root }}/app3/smtp.json"
smtp_connectors:
  - name: fax
    host: fax-gw.example.org
    senders:
      default: fax@example.org
YAML
# app4's file is not valid JSON: the host cannot be read, which the report must say.
mkdir -p "${WORK}/app4"
echo '{"connectors": [' > "${WORK}/app4/smtp.json"
cat > "${WORK}/inventory/host_vars/app4.yml" <<'YAML'
smtp_connector_format: json
smtp_connector_path: "{{ audit_test_root }}/app4/smtp.json"
smtp_connectors:
  - name: fax
    host: fax-gw.example.org
    senders:
      default: fax@example.org
YAML
# app5's file is written from a template (a product's own settings file).
mkdir -p "${WORK}/app5"
cat > "${WORK}/mailer.ini.j2" <<'J2'
[mailer]
HOST = {{ connector.host }}
PORT = {{ connector.port }}
USER = {{ connector.auth.username }}
PASSWD = {{ connector.auth.password }}
FROM = {{ connector.senders.default }}
J2
cat > "${WORK}/inventory/host_vars/app5.yml" <<'YAML'
smtp_connector_format: template
smtp_connector_path: "{{ audit_test_root }}/app5/mailer.ini"
smtp_connector_template: "{{ audit_test_root }}/mailer.ini.j2"
smtp_connectors:
  - name: gitea
    host: smtp.example.org
    port: 587
    auth:
      username: git@example.org
      password: "{{ vault_relay_password }}"
    senders:
      default: git@example.org
YAML
