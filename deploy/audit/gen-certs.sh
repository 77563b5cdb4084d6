#!/usr/bin/env bash
# Makes the certificates for the audit webhook with openssl (or use your own PKI: the names
# below are what the manifests expect):
#   ca.crt, ca.key                      a CA for this one purpose (keep ca.key off the cluster)
#   tls.crt, tls.key                    Kestrel's server certificate, SAN IP:127.0.0.1 (serverAuth)
#   client-ca.crt                       the CA Kestrel verifies kube-apiserver's certificate with
#   apiserver-client.crt/.key           kube-apiserver's client certificate (clientAuth)
#   kestrel-audit-tls.secret.yaml       the Secret the kestrel-audit pods mount (tls.crt, tls.key,
#                                       client-ca.crt): kubectl apply -f it
# Usage: deploy/audit/gen-certs.sh OUT_DIR [DAYS]   (DAYS: leaf validity, default 365)
set -euo pipefail
out=${1:?usage: gen-certs.sh OUT_DIR [DAYS]}
days=${2:-365}
mkdir -p "$out"
cd "$out"
umask 077

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
serial() { echo "0x$(openssl rand -hex 16)"; }

key ca.key
openssl req -x509 -new -key ca.key -sha256 -days $((days * 10)) -subj "/CN=kestrel-audit-ca" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.crt

leaf() { # leaf NAME CN EXTENSIONS
  key "$1.key"
  openssl req -new -key "$1.key" -subj "/CN=$2" -out "$1.csr"
  printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" "$3" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -set_serial "$(serial)" -days "$days" -sha256 \
    -extfile "$1.ext" -out "$1.crt" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}
leaf tls kestrel-audit $'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth'
leaf apiserver-client kube-apiserver 'extendedKeyUsage=clientAuth'
cp ca.crt client-ca.crt
chmod 644 ca.crt client-ca.crt tls.crt apiserver-client.crt

b64() { base64 < "$1" | tr -d '\n'; }
cat > kestrel-audit-tls.secret.yaml <<YAML
apiVersion: v1
kind: Secret
metadata:
  name: kestrel-audit-tls
  namespace: kestrel
type: Opaque
data:
  tls.crt: $(b64 tls.crt)
  tls.key: $(b64 tls.key)
  client-ca.crt: $(b64 client-ca.crt)
YAML

echo "certificates in $PWD:"
echo "  kubectl apply -f $PWD/kestrel-audit-tls.secret.yaml      (after the kestrel namespace exists)"
echo "  on every control-plane node, into /etc/kubernetes/kestrel/: ca.crt apiserver-client.crt apiserver-client.key"
echo "  plus deploy/audit/audit-policy.yaml and deploy/audit/webhook-kubeconfig.yaml"
