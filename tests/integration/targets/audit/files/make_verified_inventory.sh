#!/usr/bin/env bash
# Write below $1 an inventory of one host whose connector is the local SMTP server described by
# the JSON file $2 (smtp_server.py --background output); its password is $3.
set -eu
WORK="$1" SERVER_JSON="$2" PASSWORD="$3"
PY=${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}
read -r PORT CA_FILE < <("$PY" -c 'import json, sys; s = json.load(open(sys.argv[1]))["relay"]; print(s["port"], s["ca_file"])' \
    "$SERVER_JSON")
mkdir -p "${WORK}/verified-inventory/host_vars" "${WORK}/verified-inventory/group_vars" "${WORK}/app6"
cat > "${WORK}/verified-inventory/hosts.yml" <<YAML
all:
  hosts:
    app6:
YAML
cat > "${WORK}/verified-inventory/group_vars/all.yml" <<YAML
ansible_connection: local
ansible_python_interpreter: "{{ ansible_playbook_python }}"
audit_test_root: ${WORK}
vault_verified_password: ${PASSWORD}
YAML
cat > "${WORK}/verified-inventory/host_vars/app6.yml" <<YAML
smtp_connector_format: json
smtp_connector_path: "{{ audit_test_root }}/app6/smtp.json"
smtp_connectors:
  - name: verified-relay
    host: localhost
    port: ${PORT}
    security: starttls
    starttls: required
    tls:
      ca_file: ${CA_FILE}
    timeout: 5
    auth:
      username: mailer
      password: "{{ vault_verified_password }}"
    senders:
      default: '"Example District" <noreply@good.mail.test>'
    test:
      to: [mail-tests@good.mail.test]
YAML
