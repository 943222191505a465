#!/usr/bin/env bash
# Writes gitlab.rb, config.php, configuration.yml and .env.production with the connector module over copies of the shipped files,
# then lets the real Ruby (also through ERB and YAML, as Redmine, and dotenv, as Mastodon) and PHP read them (files/read_back.py) and proves that every value
# came back as written, that no value added a setting, and that no password reached the
# -vvv --diff output.
set -eu

PY=${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}
# shellcheck source=../setup_mailops_servers/servers.sh
. "$(dirname "$0")/../setup_mailops_servers/servers.sh"
# The shipped-file fixtures of the unit tests (gitlab.rb template, a config.php Nextcloud wrote).
FIXTURES="$MAILOPS_COLLECTION/tests/unit/plugins/module_utils/formats/fixtures"
STATE=$(mktemp -d)
trap 'rm -rf "$STATE"' EXIT

# Hostile in Ruby and PHP alike: quotes, backslashes, interpolation, end of PHP, comments.
cat > "$STATE/vars.json" <<'JSON'
{"secrets": {
  "gitlab": "Ap-S3cret ' \\ \" #{`id`} $HOME ?> // # end\\",
  "nextcloud": "Ap-S3cret ' \\ \" ?> <?php system('id'); // $x {$y} end\\",
  "redmine": "Ap-S3cret <%= `id` %> <%% ' \\ \" # : - [x] {y} &a *b !c end",
  "mastodon": "Ap-S3cret $(id) ${HOME} $HOME \\n \" # end",
  "mastodon_quote": "Ap-S3cret it's $HOME and $(id) \" # end"
}}
JSON
printf '{"work_dir": "%s"}\n' "$STATE/work" > "$STATE/dirs.json"
mkdir -p "$STATE/work"
cp "$FIXTURES/gitlab.rb" "$STATE/work/gitlab.rb"
cp "$FIXTURES/nextcloud-config.php" "$STATE/work/config.php"
cp "$FIXTURES/redmine-configuration.yml" "$STATE/work/configuration.yml"
cp "$FIXTURES/mastodon.env.production" "$STATE/work/.env.production"

export ANSIBLE_NOCOLOR=1
ansible-playbook -i localhost, -c local -e "ansible_python_interpreter=$PY" -e "@$STATE/vars.json" \
    -e "@$STATE/dirs.json" playbook.yml --diff -vvv > "$STATE/run.log" 2>&1 || { cat "$STATE/run.log"; exit 1; }
tail -3 "$STATE/run.log"
if grep -n -e 'Ap-S3cret' "$STATE/run.log"; then
    echo "FAILED: a password appears in the -vvv --diff output" >&2
    exit 1
fi
"$PY" files/read_back.py "$STATE/work" "$STATE/vars.json"
