"""The local control plane's secrets: a CA, the apiserver's serving cert, the service-account key, tokens, kubeconfigs.

Made once per stack home under ``layout.kubernetes`` and reused on every later start (a new
CA would invalidate every kubeconfig handed out). Private keys and token files are 0600.
Clients authenticate with static bearer tokens (``--token-auth-file``): the controller-manager
and the scheduler as the users the bootstrap RBAC policy already binds, the admin and kwok in
``system:masters``.
"""
from __future__ import annotations

import ipaddress
import os
import secrets
from datetime import datetime, timedelta, timezone
from pathlib import Path

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from deploy.local.layout import HOST, Layout

# the first address of --service-cluster-ip-range, which the `kubernetes` Service gets
SERVICE_CIDR = "10.96.0.0/24"
SERVICE_IP = "10.96.0.1"
# (user, groups) per client; each gets a token and a kubeconfig named after the key
CLIENTS = {
    "admin": ("opsconsole-admin", ("system:masters",)),
    "controller-manager": ("system:kube-controller-manager", ()),
    "scheduler": ("system:kube-scheduler", ()),
    "kwok": ("kwok", ("system:masters",)),
}
VALIDITY = timedelta(days=3650)


def ensure(layout: Layout, server: str) -> list[str]:
    """Create what is missing of CA, serving cert, service-account key and tokens, and (re)write the kubeconfigs for ``server``."""
    root = layout.kubernetes
    root.mkdir(parents=True, exist_ok=True)
    made = []
    if not (root / "ca.crt").exists():
        key = _new_key()
        _write_private(root / "ca.key", _pem_key(key))
        (root / "ca.crt").write_bytes(_ca_cert(key).public_bytes(serialization.Encoding.PEM))
        (root / "apiserver.crt").unlink(missing_ok=True)  # signed by a CA that is gone
        made.append("made the Kubernetes CA")
    if not (root / "apiserver.crt").exists():
        key = _new_key()
        ca_key = serialization.load_pem_private_key((root / "ca.key").read_bytes(), password=None)
        ca = x509.load_pem_x509_certificate((root / "ca.crt").read_bytes())
        _write_private(root / "apiserver.key", _pem_key(key))
        (root / "apiserver.crt").write_bytes(_serving_cert(key, ca, ca_key).public_bytes(serialization.Encoding.PEM))
        made.append("made the apiserver's serving certificate")
    if not (root / "sa.key").exists():
        key = _new_key()
        _write_private(root / "sa.key", _pem_key(key))
        (root / "sa.pub").write_bytes(key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
        made.append("made the service-account signing key")
    tokens = root / "tokens.csv"
    if not tokens.exists():
        _write_private(tokens, render_tokens({name: secrets.token_urlsafe(32) for name in CLIENTS}).encode())
        made.append("made the control plane's tokens")
    for name, token in read_tokens(tokens).items():
        write_kubeconfig(root / f"{name}.kubeconfig", server, root / "ca.crt", token, user=name)
    return made


def render_tokens(tokens: dict[str, str]) -> str:
    """The apiserver's token file: ``token,user,uid,"group,..."`` per client, in CLIENTS order."""
    lines = []
    for name, token in tokens.items():
        user, groups = CLIENTS[name]
        lines.append(f'{token},{user},{user}' + (f',"{",".join(groups)}"' if groups else ""))
    return "\n".join(lines) + "\n"


def read_tokens(path: Path) -> dict[str, str]:
    """Client name -> token, from a token file written by ``render_tokens``."""
    users = {user: name for name, (user, _) in CLIENTS.items()}
    tokens = {}
    for line in path.read_text().splitlines():
        token, user = line.split(",")[:2]
        if user in users:
            tokens[users[user]] = token
    return tokens


def render_kubeconfig(server: str, ca: Path, token: str, *, user: str) -> str:
    """A kubeconfig with one cluster, one user (a bearer token) and one current context."""
    config = {
        "apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": "opsconsole", "cluster": {"server": server, "certificate-authority": str(ca)}}],
        "users": [{"name": user, "user": {"token": token}}],
        "contexts": [{"name": "opsconsole", "context": {"cluster": "opsconsole", "user": user}}],
        "current-context": "opsconsole",
    }
    return yaml.safe_dump(config, sort_keys=False)


def write_kubeconfig(path: Path, server: str, ca: Path, token: str, *, user: str) -> Path:
    """Write a kubeconfig (it holds a token: 0600)."""
    _write_private(path, render_kubeconfig(server, ca, token, user=user).encode())
    return path


def _write_private(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    tmp.replace(path)


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem_key(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption())


def _ca_cert(key: rsa.RSAPrivateKey) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "opsconsole-kubernetes-ca")])
    now = datetime.now(timezone.utc)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))


def _serving_cert(key: rsa.RSAPrivateKey, ca: x509.Certificate, ca_key) -> x509.Certificate:
    now = datetime.now(timezone.utc)
    names = [x509.DNSName(n) for n in ("localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
                                       "kubernetes.default.svc.cluster.local")]
    names += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in (HOST, SERVICE_IP)]
    return (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")]))
            .issuer_name(ca.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + VALIDITY)
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
