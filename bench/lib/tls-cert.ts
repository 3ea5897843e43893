import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/**
 * A self-signed RSA 2048 certificate for 127.0.0.1 (AWS endpoints present RSA 2048 certificates), made with
 * the openssl CLI into `dir`, so the loopback stand-ins of bench/cold-answer.ts serve HTTPS and a function's
 * first calls pay their TLS handshakes as on AWS. `file` is what the measured process trusts
 * (NODE_EXTRA_CA_CERTS). Undefined when openssl is not installed: the caller then serves plain HTTP and says so.
 */
export type TlsCert = Readonly<{ key: Buffer; cert: Buffer; file: string }>;

export function selfSignedCert(dir: string): TlsCert | undefined {
  const keyFile = path.join(dir, 'stand-in-key.pem');
  const certFile = path.join(dir, 'stand-in-cert.pem');
  const result = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { encoding: 'utf8' },
  );
  if (result.error || result.status !== 0) return undefined;
  return { key: readFileSync(keyFile), cert: readFileSync(certFile), file: certFile };
}
