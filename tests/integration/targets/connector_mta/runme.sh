#!/usr/bin/env bash
# Real MTAs read what formats exim4, nullmailer, dma and opensmtpd write: each program is extracted from its
# Debian package into a private root (extensions/servers/mta_private.sh), reads the files written by
# mailops.smtp.connector and sends one message to the aiosmtpd sinks, which record TLS, its
# version, the AUTH user and the envelope sender. A sink that offers no STARTTLS shows what each
# program does when TLS is required (refuses) or opportunistic (sends in clear text).
set -eu

PY=${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}
# shellcheck source=../setup_mailops_servers/servers.sh
. "$(dirname "$0")/../setup_mailops_servers/servers.sh"
STATE=$(mktemp -d)
chmod 0755 "$STATE"

cleanup() {
    "$PY" "$SERVERS/smtp_server.py" --state-dir "$STATE/sinks" --config "$STATE/sinks.json" --stop || true
    rm -rf "$STATE"
}
trap cleanup EXIT

# The password has the characters each file format must quote or escape.
cat > "$STATE/sinks.json" <<'JSON'
[
  {"name": "submission", "mode": "starttls", "require_starttls": true, "auth": "mailer:Mta pw\"'^:#$x", "auth_mechanisms": "PLAIN,LOGIN"},
  {"name": "smtps", "mode": "tls", "auth": "other:Mta-Other-S3cret", "auth_mechanisms": "PLAIN,LOGIN"},
  {"name": "cleartext", "mode": "plain"},
  {"name": "untrusted", "mode": "starttls", "require_starttls": true, "cert": "untrusted", "auth": "mailer:Mta pw\"'^:#$x", "auth_mechanisms": "PLAIN,LOGIN"}
]
JSON
mkdir -p "$STATE/sinks"
SINKS=$("$PY" "$SERVERS/smtp_server.py" --state-dir "$STATE/sinks" --config "$STATE/sinks.json" --background)
# exim4-root also creates the Debian-exim user, as the package does, before anything is written.
EXIM_ROOT=$(bash "$SERVERS/mta_private.sh" exim4-root)
DMA_ROOT=$(bash "$SERVERS/mta_private.sh" root dma)
OPENSMTPD_ROOT=$(bash "$SERVERS/mta_private.sh" root opensmtpd)
printf '{"sinks": %s, "work_dir": "%s", "mta": "%s", "exim_root": "%s", "dma_root": "%s", "opensmtpd_root": "%s"}\n' \
    "$SINKS" "$STATE/work" "$SERVERS/mta_private.sh" "$EXIM_ROOT" "$DMA_ROOT" "$OPENSMTPD_ROOT" > "$STATE/vars.json"

export ANSIBLE_NOCOLOR=1
for program in exim4 nullmailer dma opensmtpd; do
    ansible-playbook -i localhost, -c local -e "ansible_python_interpreter=$PY" -e "@$STATE/vars.json" \
        "$program.yml" --diff -vvv > "$STATE/$program.log" 2>&1 || { cat "$STATE/$program.log"; exit 1; }
    tail -3 "$STATE/$program.log"
    if grep -n -e "Mta pw" -e 'Mta-Other-S3cret' "$STATE/$program.log"; then
        echo "FAILED: a password appears in the -vvv --diff output of $program.yml" >&2
        exit 1
    fi
done
