// A throwaway certificate authority and a server certificate it signs, made with Node's crypto alone. Microsoft's
// clients refuse anything but https (the Graph client sends no token to an http host, MSAL refuses an http
// authority), so the simulator serves TLS; a CA of its own, trusted through NODE_EXTRA_CA_CERTS, lets them verify
// it as they verify Graph. Node can parse certificates but not create them, hence the small DER encoder below: a
// certificate is a fixed handful of ASN.1 structures, far less code than a dependency for the whole of X.509.
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from "node:crypto";
import { isIP } from "node:net";

/** PEM texts of a certificate authority and of a server certificate it issued, with the server's private key. */
export interface LocalCertificates {
  /** The CA's certificate: what a client trusts (NODE_EXTRA_CA_CERTS, or a `ca` option). */
  readonly caCertificate: string;
  /** The server's certificate, for the names it was issued to. */
  readonly certificate: string;
  /** The server's private key (PKCS #8). */
  readonly privateKey: string;
  /** The DNS names and IP addresses the server certificate names. */
  readonly names: readonly string[];
}

// DER: tag, length, contents (X.690). Lengths up to 2^32 are far more than a certificate needs.
function der(tag: number, ...contents: Buffer[]): Buffer {
  const body = Buffer.concat(contents);
  const length = body.length;
  let header: Buffer;
  if (length < 0x80) header = Buffer.from([tag, length]);
  else {
    const bytes: number[] = [];
    for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
    header = Buffer.from([tag, 0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([header, body]);
}

const sequence = (...items: Buffer[]) => der(0x30, ...items);
const set = (...items: Buffer[]) => der(0x31, ...items);
const octets = (bytes: Buffer) => der(0x04, bytes);
const utf8 = (text: string) => der(0x0c, Buffer.from(text, "utf8"));
const bool = (value: boolean) => der(0x01, Buffer.from([value ? 0xff : 0x00]));
/** A BIT STRING whose first byte says how many trailing bits of the last byte are unused. */
const bits = (bytes: Buffer, unused = 0) => der(0x03, Buffer.from([unused]), bytes);
/** A context-specific, constructed tag ([n] EXPLICIT). */
const explicit = (n: number, ...items: Buffer[]) => der(0xa0 | n, ...items);

/** A non-negative INTEGER from its big-endian bytes: DER forbids a leading zero unless the next bit is set. */
function integer(value: Buffer): Buffer {
  let start = 0;
  while (start < value.length - 1 && value[start] === 0 && ((value[start + 1] ?? 0) & 0x80) === 0) start++;
  const trimmed = value.subarray(start);
  return der(0x02, (trimmed[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

function oid(dotted: string): Buffer {
  const [first = 0, second = 0, ...rest] = dotted.split(".").map(Number);
  const bytes = [40 * first + second];
  for (const arc of rest) {
    const groups: number[] = [arc & 0x7f];
    for (let value = Math.floor(arc / 128); value > 0; value = Math.floor(value / 128))
      groups.unshift(0x80 | (value & 0x7f));
    bytes.push(...groups);
  }
  return der(0x06, Buffer.from(bytes));
}

/** UTCTime up to 2049 and GeneralizedTime after, as RFC 5280 (4.1.2.5) requires. */
function time(date: Date): Buffer {
  const iso = date.toISOString(); // 2026-12-06T23:38:19.000Z
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  return date.getUTCFullYear() < 2050 ? der(0x17, Buffer.from(digits.slice(2))) : der(0x18, Buffer.from(digits));
}

const ids = {
  commonName: "2.5.4.3",
  organization: "2.5.4.10",
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  subjectKeyIdentifier: "2.5.29.14",
  keyUsage: "2.5.29.15",
  subjectAltName: "2.5.29.17",
  basicConstraints: "2.5.29.19",
  authorityKeyIdentifier: "2.5.29.35",
  extendedKeyUsage: "2.5.29.37",
  serverAuth: "1.3.6.1.5.5.7.3.1",
};

const name = (commonName: string) =>
  sequence(
    set(sequence(oid(ids.organization), utf8("graph-invite simulator"))),
    set(sequence(oid(ids.commonName), utf8(commonName))),
  );

const extension = (id: string, critical: boolean, value: Buffer) =>
  sequence(oid(id), ...(critical ? [bool(true)] : []), octets(value));

/** A subjectAltName entry: dNSName [2] or iPAddress [7], both IMPLICIT. */
function altName(host: string): Buffer {
  const family = isIP(host);
  if (family === 4) return der(0x87, Buffer.from(host.split(".").map(Number)));
  if (family === 6) return der(0x87, ipv6Bytes(host));
  return der(0x82, Buffer.from(host, "ascii"));
}

function ipv6Bytes(address: string): Buffer {
  const [head = "", tail] = address.split("::");
  const groups = (part: string) => (part === "" ? [] : part.split(":"));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  // An embedded IPv4 tail (::ffff:1.2.3.4) counts as two groups.
  const expand = (list: string[]) =>
    list.flatMap((group) => {
      if (!group.includes(".")) return [Number.parseInt(group, 16)];
      const [a = 0, b = 0, c = 0, d = 0] = group.split(".").map(Number);
      return [a * 256 + b, c * 256 + d];
    });
  const l = expand(left);
  const r = expand(right);
  const all = [...l, ...new Array<number>(8 - l.length - r.length).fill(0), ...r];
  const bytes = Buffer.alloc(16);
  for (const [index, group] of all.entries()) bytes.writeUInt16BE(group, index * 2);
  return bytes;
}

interface Issued {
  readonly subject: string;
  readonly publicKey: KeyObject;
  readonly extensions: readonly Buffer[];
  readonly notAfter: Date;
}

function certificate(issued: Issued, issuer: { name: string; key: KeyObject }): string {
  const signatureAlgorithm = sequence(oid(ids.ecdsaWithSha256));
  // Yesterday, so that a client whose clock is a little behind still accepts it.
  const notBefore = new Date(Date.now() - 24 * 3600 * 1000);
  const serial = randomBytes(16);
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x40; // positive and exactly 16 bytes
  const tbs = sequence(
    explicit(0, integer(Buffer.from([2]))), // version 3
    integer(serial),
    signatureAlgorithm,
    name(issuer.name),
    sequence(time(notBefore), time(issued.notAfter)),
    name(issued.subject),
    issued.publicKey.export({ type: "spki", format: "der" }),
    explicit(3, sequence(...issued.extensions)),
  );
  // Node signs ECDSA in DER (r, s) form, which is what X.509 carries.
  const signature = sign("sha256", tbs, issuer.key);
  const encoded = sequence(tbs, signatureAlgorithm, bits(signature));
  const base64 = encoded.toString("base64").replace(/.{64}/g, "$&\n");
  return `-----BEGIN CERTIFICATE-----\n${base64.replace(/\n$/, "")}\n-----END CERTIFICATE-----\n`;
}

/** The subjectPublicKey bits of a key, which RFC 5280's key identifiers hash (method 1: SHA-1 of them). */
function subjectKeyBits(publicKey: KeyObject): Buffer {
  const spki = publicKey.export({ type: "spki", format: "der" });
  // SEQUENCE { SEQUENCE algorithm, BIT STRING key }: for P-256 the key is the last 65 bytes.
  return spki.subarray(spki.length - 65);
}

/**
 * Makes a CA and a server certificate for `hosts` (DNS names or IP addresses), valid for `days`. Keys are P-256:
 * generating one takes a millisecond, where an RSA key takes a noticeable part of a test's start.
 */
export function createLocalCertificates(hosts: readonly string[], days = 30): LocalCertificates {
  const names = [...new Set(hosts.map((host) => host.replace(/^\[(.*)\]$/, "$1").toLowerCase()))];
  if (names.length === 0) throw new Error("a certificate needs at least one host name");
  const ca = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const server = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const caKeyId = createHash("sha1").update(subjectKeyBits(ca.publicKey)).digest();
  const serverKeyId = createHash("sha1").update(subjectKeyBits(server.publicKey)).digest();
  const notAfter = new Date(Date.now() + days * 24 * 3600 * 1000);
  const caName = `graph-invite simulator CA ${randomBytes(4).toString("hex")}`;

  const caCertificate = certificate(
    {
      subject: caName,
      publicKey: ca.publicKey,
      notAfter,
      extensions: [
        extension(ids.basicConstraints, true, sequence(bool(true), integer(Buffer.from([0])))),
        // keyCertSign (bit 5) and cRLSign (bit 6); the last unused bit is bit 7.
        extension(ids.keyUsage, true, bits(Buffer.from([0x06]), 1)),
        extension(ids.subjectKeyIdentifier, false, octets(caKeyId)),
      ],
    },
    { name: caName, key: ca.privateKey },
  );
  const certificateText = certificate(
    {
      subject: names[0] ?? "localhost",
      publicKey: server.publicKey,
      notAfter,
      extensions: [
        extension(ids.basicConstraints, true, sequence()),
        // digitalSignature (bit 0), which ECDHE key exchange needs; the other seven bits are unused.
        extension(ids.keyUsage, true, bits(Buffer.from([0x80]), 7)),
        extension(ids.extendedKeyUsage, false, sequence(oid(ids.serverAuth))),
        extension(ids.subjectAltName, false, sequence(...names.map(altName))),
        extension(ids.subjectKeyIdentifier, false, octets(serverKeyId)),
        extension(ids.authorityKeyIdentifier, false, sequence(der(0x80, caKeyId))),
      ],
    },
    { name: caName, key: ca.privateKey },
  );
  return {
    caCertificate,
    certificate: certificateText,
    privateKey: server.privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    names,
  };
}
