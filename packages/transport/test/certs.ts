/** A self-signed certificate for 127.0.0.1, ::1 and localhost, written to a temp dir. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import selfsigned from 'selfsigned';

export interface TestCert {
  cert: string;
  key: string;
  certPath: string;
  keyPath: string;
}

export function makeCert(): Promise<TestCert> {
  return new Promise((resolve, reject) => {
    selfsigned.generate(
      [{ name: 'commonName', value: 'localhost' }],
      {
        days: 1,
        keySize: 2048,
        algorithm: 'sha256',
        extensions: [
          { name: 'basicConstraints', cA: true },
          {
            name: 'subjectAltName',
            altNames: [
              { type: 2, value: 'localhost' },
              { type: 7, ip: '127.0.0.1' },
              { type: 7, ip: '::1' },
            ],
          },
        ],
      },
      (err, pems) => {
        if (err) return reject(err);
        const dir = mkdtempSync(join(tmpdir(), 'strata-tls-'));
        const certPath = join(dir, 'cert.pem');
        const keyPath = join(dir, 'key.pem');
        writeFileSync(certPath, pems.cert);
        writeFileSync(keyPath, pems.private);
        resolve({ cert: pems.cert, key: pems.private, certPath, keyPath });
      },
    );
  });
}
