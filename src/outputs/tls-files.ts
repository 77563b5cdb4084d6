// Certificates and keys the outputs read (http_output's ca_cert, ca_bundle, ca_path, client_cert,
// client_key), with errors naming the setting.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export class OutputSetupError extends Error {}

export function readTlsFile(path: string, setting: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new OutputSetupError(`${setting}: cannot read ${path}: ${(err as Error).message}`);
  }
}

/**
 * Every PEM certificate file in a directory (libcurl's CAPATH holds one certificate per file,
 * usually with hash-named links beside them; duplicates do no harm). A missing directory is an
 * error: verifying against nothing would fail every request.
 */
export function readCaFiles(dir: string): Buffer[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    throw new OutputSetupError(`http_output.ca_path: cannot read ${dir}: ${(err as Error).message}`);
  }
  const out: Buffer[] = [];
  for (const name of names.sort()) {
    const file = join(dir, name);
    try {
      if (!statSync(file).isFile()) continue;
      const data = readFileSync(file);
      if (data.includes('-----BEGIN CERTIFICATE-----')) out.push(data);
    } catch {
      // a dangling link or an unreadable file is not a certificate we can use
    }
  }
  if (out.length === 0) throw new OutputSetupError(`http_output.ca_path: no PEM certificate in ${dir}`);
  return out;
}
