/**
 * Certificates for Alipay's certificate mode in tests, made with the openssl command: a root chain
 * (an RSA root, and an EC root that the root number must leave out), Alipay's public-key
 * certificate and the app's, both issued by the RSA root over the given keys.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface TestCertificates {
  rootChain: string;
  alipayCert: string;
  appCert: string;
}

export function makeCertificates(keys: { alipay: KeyObject; app: KeyObject }): TestCertificates {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alipay-certs-'));
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  try {
    const root = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    fs.writeFileSync(file('root.key'), root.export({ type: 'pkcs8', format: 'pem' }));
    openssl(
      'req',
      '-utf8',
      '-x509',
      '-new',
      '-key',
      file('root.key'),
      '-sha256',
      '-days',
      '30',
      '-set_serial',
      '0x2d6b1a3f',
      '-subj',
      '/C=CN/O=Ant Financial/OU=Certification Authority/CN=Ant Financial Certification Authority R1',
      '-out',
      file('root.crt'),
    );
    openssl(
      'req',
      '-utf8',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      file('ec.key'),
      '-days',
      '30',
      '-subj',
      '/C=CN/O=Ant Financial/CN=Ant Financial Certification Authority E1',
      '-out',
      file('ec.crt'),
    );
    const issue = (name: string, key: KeyObject, subject: string, serial: string) => {
      fs.writeFileSync(file(`${name}.key`), key.export({ type: 'pkcs8', format: 'pem' }));
      openssl(
        'req',
        '-utf8',
        '-new',
        '-key',
        file(`${name}.key`),
        '-subj',
        subject,
        '-out',
        file(`${name}.csr`),
      );
      openssl(
        'x509',
        '-req',
        '-in',
        file(`${name}.csr`),
        '-CA',
        file('root.crt'),
        '-CAkey',
        file('root.key'),
        '-set_serial',
        serial,
        '-days',
        '30',
        '-sha256',
        '-out',
        file(`${name}.crt`),
      );
      return fs.readFileSync(file(`${name}.crt`), 'utf8');
    };
    return {
      rootChain: fs.readFileSync(file('root.crt'), 'utf8') + fs.readFileSync(file('ec.crt'), 'utf8'),
      alipayCert: issue(
        'alipay',
        keys.alipay,
        '/C=CN/O=支付宝(中国)网络技术有限公司/OU=Alipay/CN=Alipay Public Key',
        '0x4a1f0b2c3d4e5f60718293',
      ),
      appCert: issue('app', keys.app, '/C=CN/O=测试商户/OU=Alipay/CN=2021000123450001', '0x1234567890abcdef'),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
