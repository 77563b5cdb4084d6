// Test PKI made with openssl: a CA, a server certificate for 127.0.0.1, a client certificate
// from that CA (what kube-apiserver presents), and a client certificate from an unrelated CA.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Pki {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  wrongClientCert: string;
  wrongClientKey: string;
  read(file: string): Buffer;
}

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function ca(dir: string, name: string): void {
  openssl(dir, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${name}`,
    '-keyout', `${name}.key`, '-out', `${name}.crt`);
}

function leaf(dir: string, caName: string, name: string, cn: string, ext: string): void {
  writeFileSync(join(dir, `${name}.ext`), ext);
  openssl(dir, 'req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-keyout', `${name}.key`, '-out', `${name}.csr`);
  openssl(dir, 'x509', '-req', '-in', `${name}.csr`, '-CA', `${caName}.crt`, '-CAkey', `${caName}.key`, '-CAcreateserial',
    '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.crt`);
}

export function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'kestrel-pki-'));
  ca(dir, 'ca');
  ca(dir, 'wrong-ca');
  leaf(dir, 'ca', 'server', 'kestrel', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  leaf(dir, 'ca', 'client', 'kube-apiserver', 'extendedKeyUsage=clientAuth\n');
  leaf(dir, 'wrong-ca', 'wrong-client', 'kube-apiserver', 'extendedKeyUsage=clientAuth\n');
  const p = (f: string) => join(dir, f);
  return {
    dir,
    caCert: p('ca.crt'),
    serverCert: p('server.crt'),
    serverKey: p('server.key'),
    clientCert: p('client.crt'),
    clientKey: p('client.key'),
    wrongClientCert: p('wrong-client.crt'),
    wrongClientKey: p('wrong-client.key'),
    read: (f) => readFileSync(f),
  };
}
