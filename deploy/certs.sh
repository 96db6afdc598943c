#!/bin/sh
# `make certs`: a private CA and the certificates the compose stack serves TLS with.
#   public/ca.crt                 the CA every client trusts (mounted into the fab services)
#   broker/broker.{crt,key}       Mosquitto's listener (names: mosquitto, localhost, 127.0.0.1)
#   proxy/proxy.{crt,key}         the Dagster UI's reverse proxy (names: localhost + FAB_PUBLIC_HOST)
#   ca.key                        stays here, mounted nowhere
# Idempotent: existing files are kept; delete the directory's files to re-issue.
set -eu
out="${1:-deploy/certs}"
days="${FAB_CERT_DAYS:-825}"
host="${FAB_PUBLIC_HOST:-localhost}"
mkdir -p "$out/public" "$out/broker" "$out/proxy"
umask 077
if [ ! -s "$out/ca.key" ]; then
    openssl req -x509 -newkey rsa:3072 -sha256 -nodes -days "$days" \
        -subj "/CN=fabstack private CA" -keyout "$out/ca.key" -out "$out/public/ca.crt" 2>/dev/null
fi
issue() {  # name dir subject-alt-names
    [ -s "$out/$2/$1.crt" ] && return 0
    openssl req -new -newkey rsa:3072 -sha256 -nodes -subj "/CN=$1" \
        -keyout "$out/$2/$1.key" -out "$out/$2/$1.csr" 2>/dev/null
    printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' "$3" > "$out/$2/$1.ext"
    openssl x509 -req -sha256 -days "$days" -in "$out/$2/$1.csr" -CA "$out/public/ca.crt" \
        -CAkey "$out/ca.key" -CAserial "$out/ca.srl" -CAcreateserial -extfile "$out/$2/$1.ext" -out "$out/$2/$1.crt" 2>/dev/null
    rm -f "$out/$2/$1.csr" "$out/$2/$1.ext"
}
issue broker broker "DNS:mosquitto,DNS:localhost,IP:127.0.0.1"
issue proxy proxy "DNS:localhost,DNS:$host,IP:127.0.0.1"
# Certificates are public; keys stay 0600 (the containers read them as root: Mosquitto's
# entrypoint copies its key for the broker's own user).
chmod 644 "$out/public/ca.crt" "$out/broker/broker.crt" "$out/proxy/proxy.crt"
chmod 755 "$out/public" "$out/broker" "$out/proxy"
echo "certificates in $out (CA: $out/public/ca.crt)"
