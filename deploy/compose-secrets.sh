#!/usr/bin/env bash
# Makes the files deploy/compose.yaml mounts, under deploy/secrets/ (git ignores it): a random
# database password and the connection string that uses it, a random pseudonymisation secret, a
# self-signed TLS certificate for localhost and its key. Files that exist are kept, so it can be
# run again. The JWKS (deploy/secrets/jwks.json, the public keys of the authorisation server that
# issues the bearer tokens) must come from that server: this script does not make one.
#
# Usage: deploy/compose-secrets.sh    (needs openssl)
set -euo pipefail
dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/secrets"
command -v openssl >/dev/null || { echo "compose-secrets: openssl is missing (apt-get install openssl)" >&2; exit 2; }
umask 077
mkdir -p "$dir"
cd "$dir"
random() { openssl rand -hex 32; }
# The container's user (uid 10001) reads them through bind mounts: readable files in a private
# folder.
made=()
if [[ ! -s postgres_password ]]; then
  random >postgres_password
  made+=(postgres_password)
fi
if [[ ! -s trialbridge_database ]]; then
  echo "host=postgres port=5432 dbname=trialbridge user=trialbridge password=$(cat postgres_password) sslmode=disable" >trialbridge_database
  made+=(trialbridge_database)
fi
if [[ ! -s pseudonymisation ]]; then
  random >pseudonymisation
  made+=(pseudonymisation)
fi
if [[ ! -s tls.key || ! -s tls.crt ]]; then
  openssl req -x509 -newkey rsa:3072 -nodes -days 365 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -keyout tls.key -out tls.crt 2>/dev/null
  made+=(tls.key tls.crt)
fi
chmod 644 ./*
chmod 700 .
echo "compose-secrets: ${#made[@]} file(s) made in $dir: ${made[*]:-none}"
[[ -s jwks.json ]] || echo "compose-secrets: put the authorisation server's JWKS in $dir/jwks.json (docs/configuration.md, auth)"
