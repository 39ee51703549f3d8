#!/usr/bin/env python3
"""What a live migration's streams look like on the wire (tests/system/host_migrate.sh; no tcpdump here).

  capture IFACE OUT    record the TCP payload of every connection to ports 7800-7899 seen on IFACE (an
                       AF_PACKET socket, both directions) until SIGTERM, then write the streams to OUT (JSON)
  check OUT            each stream reassembled in sequence order from its SYN: NBD (even port) is NBD's clear
                       greeting and STARTTLS, then TLS records only; the migration stream (odd port) is TLS
                       records from its first byte (0x16 0x03, not QEMU's "QEVM"); prints a summary, exits 1 if not
  legacy-cert DB MASTER_KEY HOST_KEY CN OUT
                       a host certificate as hosts were issued before live migration used them (clientAuth only,
                       no DNS name) for HOST_KEY, signed by the region CA of the SQLite store DB (its key unsealed
                       with the data directory's master key): what a host that joined earlier holds
  probe HOST PORT MODE [CERT KEY HOSTNAME CA]
                       one client of a target's port: MODE plain (no TLS: NBD's option list, or the migration
                       header in clear) or tls (with CERT/KEY, NBD after STARTTLS); prints "refused ..." when the
                       target closed or refused it, "taken" when it was served
"""
import json
import signal
import socket
import ssl
import struct
import sys

PORTS = range(7800, 7900)
TLS_TYPES = (20, 21, 22, 23)


def capture(iface, out):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
    try:
        s.setsockopt(socket.SOL_SOCKET, 33, 1 << 28)  # SO_RCVBUFFORCE: a burst must not drop segments
    except OSError:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 26)
    s.bind((iface, 0))
    flows = {}  # "client:port>server:port" -> {"c": {seq: bytes}, "s": {...}, "isn": {"c": n, "s": n}}
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    s.settimeout(0.2)
    while not stop:
        try:
            frame = s.recv(1 << 17)
        except socket.timeout:
            continue
        except InterruptedError:
            continue
        if len(frame) < 14 + 20 or frame[12:14] != b"\x08\x00":
            continue
        ip = frame[14:]
        ihl = (ip[0] & 15) * 4
        if ip[9] != 6:
            continue
        total = struct.unpack("!H", ip[2:4])[0] or len(ip)
        src, dst = socket.inet_ntoa(ip[12:16]), socket.inet_ntoa(ip[16:20])
        tcp = ip[ihl:total]
        sport, dport, seq = struct.unpack("!HHI", tcp[:8])
        off, flags = (tcp[12] >> 4) * 4, tcp[13]
        if dport in PORTS:
            key, side = "%s:%d>%s:%d" % (src, sport, dst, dport), "c"
        elif sport in PORTS:
            key, side = "%s:%d>%s:%d" % (dst, dport, src, sport), "s"
        else:
            continue
        f = flows.setdefault(key, {"c": {}, "s": {}, "isn": {}})
        if flags & 2:  # SYN
            f["isn"][side] = seq
        data = tcp[off:]
        if data and len(f[side]) < 200000:
            f[side].setdefault(seq, data)
    result = {}
    for key, f in flows.items():
        r = {}
        for side in ("c", "s"):
            isn = f["isn"].get(side)
            if isn is None:
                continue
            stream, pos = bytearray(), (isn + 1) & 0xFFFFFFFF
            segs = sorted(f[side].items(), key=lambda kv: (kv[0] - pos) & 0xFFFFFFFF)
            for seq, data in segs:
                rel = (seq - pos) & 0xFFFFFFFF
                have = len(stream)
                if rel > have:
                    break  # a segment the capture missed: the stream is checked up to here
                stream += data[have - rel :]
            r[side] = {"head": stream[:64].hex(), "records": tls_walk(stream, key, side)}
        result[key] = r
    with open(out, "w") as fh:
        json.dump(result, fh)


def tls_start(key, side):
    """Where TLS begins: NBD speaks its greeting and STARTTLS in clear first."""
    nbd = int(key.rsplit(":", 1)[1]) % 2 == 0
    if not nbd:
        return 0
    return 4 + 16 if side == "c" else 18 + 20  # client flags + STARTTLS; greeting + STARTTLS's ACK


def tls_walk(stream, key, side):
    """TLS records from where TLS begins: [records, bytes in them, bytes left over that are not a record]."""
    i, n = tls_start(key, side), 0
    first = stream[i : i + 2].hex()
    while i + 5 <= len(stream):
        t, major, length = stream[i], stream[i + 1], struct.unpack("!H", stream[i + 3 : i + 5])[0]
        if t not in TLS_TYPES or major != 3 or length > 16384 + 2048:
            return [n, i, len(stream) - i, first]
        if i + 5 + length > len(stream):
            break  # the last record, cut by the capture's end or a gap
        i += 5 + length
        n += 1
    return [n, i, 0, first]


def check(out):
    flows = json.load(open(out))
    ok, seen = True, {"nbd": 0, "migration": 0}
    for key, r in sorted(flows.items()):
        kind = "nbd" if int(key.rsplit(":", 1)[1]) % 2 == 0 else "migration"
        c = r.get("c")
        if not c or (not c["records"][0] and not c["records"][2]):
            continue  # a connection refused or reset before it carried anything past NBD's clear part
        seen[kind] += 1
        for side in ("c", "s"):
            if side not in r:
                continue
            n, nbytes, junk, first = r[side]["records"]
            head = bytes.fromhex(r[side]["head"])
            good = first.startswith("1603") and junk == 0 and n > 0
            if kind == "nbd" and side == "s":
                good = good and head.startswith(b"NBDMAGICIHAVEOPT")
            if kind == "migration":
                good = good and not head.startswith(b"QEVM")
            print("%s %s %s: %d TLS records, %d bytes, first %s, %d bytes not TLS" % (
                kind, key, "source->target" if side == "c" else "target->source", n, nbytes, first, junk))
            ok = ok and good
    if not seen["nbd"] or not seen["migration"]:
        print("streams seen: %s" % seen)
        ok = False
    sys.exit(0 if ok else 1)


def recv_exact(s, n):
    b = b""
    while len(b) < n:
        chunk = s.recv(n - len(b))
        if not chunk:
            raise ConnectionError("closed")
        b += chunk
    return b


def probe(host, port, mode, cert=None, key=None, hostname=None, ca=None):
    s = socket.create_connection((host, port), timeout=3)
    nbd = port % 2 == 0
    try:
        if nbd:
            greeting = recv_exact(s, 18)
            assert greeting.startswith(b"NBDMAGICIHAVEOPT"), greeting
            s.sendall(struct.pack("!I", 3))  # fixed newstyle, no zeroes
        if mode == "tls":
            if nbd:
                s.sendall(b"IHAVEOPT" + struct.pack("!II", 5, 0))  # NBD_OPT_STARTTLS
                _, _, rtype, rlen = struct.unpack("!QIII", recv_exact(s, 20))
                recv_exact(s, rlen)
                if rtype != 1:
                    print("refused STARTTLS (reply %#x)" % rtype)
                    return
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.load_verify_locations(ca)
            ctx.load_cert_chain(cert, key)
            s = ctx.wrap_socket(s, server_hostname=hostname)
        if nbd:
            s.sendall(b"IHAVEOPT" + struct.pack("!II", 3, 0))  # NBD_OPT_LIST
            _, _, rtype, rlen = struct.unpack("!QIII", recv_exact(s, 20))
            print("refused: NBD reply %#x" % rtype if rtype & 0x80000000 else "taken: NBD reply %#x" % rtype)
        else:
            if mode == "plain":
                s.sendall(b"QEVM\0\0\0\3")
            data = s.recv(64)
            print("refused: closed" if not data else "taken: %r" % data[:16])
    except socket.timeout:
        print("taken: still open after 3 s")
    except (ConnectionError, ssl.SSLError, OSError) as e:
        print("refused: %s" % e)


def legacy_cert(db, master_key, host_key, cn, out):
    import datetime
    import sqlite3

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    cert_pem, sealed = sqlite3.connect(db).execute("SELECT cert_pem, key_sealed FROM host_ca").fetchone()
    assert sealed[:3] == b"YS1"
    plain = AESGCM(open(master_key, "rb").read()[:32]).decrypt(sealed[3:15], sealed[15:], b"host-ca")
    ca_key = serialization.load_pem_private_key(plain, None)
    ca = x509.load_pem_x509_certificate(cert_pem.encode() if isinstance(cert_pem, str) else cert_pem)
    key = serialization.load_pem_private_key(open(host_key, "rb").read(), None)
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    open(out, "wb").write(cert.public_bytes(serialization.Encoding.PEM))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "capture":
        capture(sys.argv[2], sys.argv[3])
    elif cmd == "check":
        check(sys.argv[2])
    elif cmd == "legacy-cert":
        legacy_cert(*sys.argv[2:7])
    elif cmd == "probe":
        probe(sys.argv[2], int(sys.argv[3]), *sys.argv[4:])
